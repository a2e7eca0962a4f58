/**
 * The `provider:` block of a webhook resource, validated with zod at policy load. The URL must be https
 * (plain http only to this machine), the HMAC key and any extra header values are secret references (never
 * inline), and the names of extra headers may not shadow the ones Stint signs and sets itself.
 */
import { z } from 'zod';
import { parseProviderConfig } from '../provider-config.ts';
import { isSecretRef } from '../secrets.ts';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
/** Set by Stint on every call: an extra header of the same name would let a config forge or break them. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'user-agent', 'host', 'stint-signature', 'idempotency-key', 'transfer-encoding', 'connection']);

/** Why `url` cannot be used, or null when it can. */
function urlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL (https://…)';
  }
  if (url.username || url.password) return 'must not carry credentials (user:password@); use headers with env:/file: references';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:') return LOCAL_HOSTS.has(url.hostname) ? null : 'must be https:// (plain http:// is allowed only for localhost and 127.0.0.1)';
  return 'must be an https:// URL';
}

const secretRef = (what: string) =>
  z
    .string({ error: `required: env:NAME or file:/path holding ${what}` })
    .refine(isSecretRef, { error: 'must be env:NAME or file:/path; inline secrets are refused' });

export const webhookConfigSchema = z.strictObject({
  type: z.literal('webhook'),
  // The policy loader fills in `mode: membership` for every resource; webhook has no other mode.
  mode: z.literal('membership', { error: 'webhook has a single mode: leave mode out' }).optional(),
  url: z.string({ error: 'required: the receiver URL (https://…)' }).superRefine((value, ctx) => {
    const problem = urlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }),
  secret: secretRef('the HMAC-SHA256 signing key shared with the receiver'),
  /** Per attempt. @defaultValue 10 */
  timeoutSec: z.number({ error: 'must be a number of seconds' }).min(0.05).max(120).optional(),
  /** Attempts per call, the first included. @defaultValue 5 */
  maxAttempts: z.number({ error: 'must be a whole number' }).int().min(1).max(10).optional(),
  headers: z
    .record(z.string(), secretRef('the header value'))
    .superRefine((headers, ctx) => {
      const names = Object.keys(headers);
      if (names.length > 10) ctx.addIssue({ code: 'custom', message: 'at most 10 extra headers' });
      for (const name of names) {
        if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'is not an HTTP header name' });
        else if (RESERVED_HEADERS.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [name], message: 'is set by Stint itself and cannot be overridden' });
      }
    })
    .optional(),
  /** The receiver answers `check` events. @defaultValue true */
  check: z.boolean({ error: 'must be true or false' }).optional(),
});

export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

export const WEBHOOK_DEFAULTS = { timeoutSec: 10, maxAttempts: 5, check: true } as const;

/** Parses a resource's provider block; throws POLICY_INVALID naming every bad field (values never echoed). */
export function parseWebhookConfig(config: Record<string, unknown>): WebhookConfig {
  return parseProviderConfig('webhook', webhookConfigSchema, config);
}
