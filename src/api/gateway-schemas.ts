/** Wire shapes of the SSH gateway's REST side (issue 8): discovery for `stint ssh`, recordings for `stint session play`. */
import { z } from 'zod';

export const GatewayInfo = z.object({
  enabled: z.boolean().describe('false when this Stint runs no SSH gateway (STINT_SSH_PORT unset): launch requests cannot be used'),
  host: z.string().nullable().describe('where clients connect (STINT_SSH_PUBLIC_HOST); null: the host of the STINT_URL the client uses'),
  port: z.number().nullable(),
  hostKeyFingerprint: z.string().nullable().describe('SHA256:… of the gateway host key; `stint ssh` connects only to a gateway showing this key'),
});

export const RecordingAnswer = z.object({
  recording: z.object({
    id: z.string(),
    requestId: z.string(),
    resourceId: z.string(),
    personId: z.string(),
    startedAt: z.string(),
    endedAt: z.string(),
    width: z.number(),
    height: z.number(),
    bytes: z.number().describe('length of content in UTF-8 bytes'),
    sha256: z.string().describe('hex SHA-256 of content as UTF-8 bytes'),
    exitStatus: z.number().nullable(),
    content: z.string().describe('asciicast v2: a JSON header line, then [seconds, "o" | "r", text] lines; output only'),
  }),
  auditEvent: z
    .object({ seq: z.string(), at: z.string(), action: z.literal('session.recorded'), data: z.record(z.string(), z.unknown()), hash: z.string() })
    .nullable()
    .describe('the session.recorded audit event naming this recording; its data.sha256 must equal the recording\'s'),
});
