/**
 * What a linux grant did on its host, stored as JSON and read back at extend/revoke/check: revoke follows the
 * handle, not today's config, so a policy edit never strands an account. Names only, never a secret.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { StintError } from '../../domain/errors.ts';
import type { GrantHandleData } from '../../core/ports.ts';

const elevationSchema = z.discriminatedUnion('method', [
  z.strictObject({ method: z.literal('sudo'), file: z.string() }),
  z.strictObject({ method: z.literal('role'), role: z.string(), file: z.string() }),
  z.strictObject({ method: z.literal('group'), group: z.string(), preexisting: z.boolean() }),
]);

const handleSchema = z.looseObject({
  kind: z.literal('linux'),
  host: z.string(),
  requestId: z.string(),
  /** Absent on handles the orphan sweep listed (the host does not record it). */
  resourceId: z.string().optional(),
  shortId: z.string().regex(/^[0-9a-f]{16}$/),
  /** The account that holds the access: the ephemeral one, or the person's own (`accounts.linux`). */
  account: z.string(),
  /** What was created: a local account, a directory account (dn), or nothing (elevation only). */
  ephemeral: z.enum(['local', 'domain']).nullable(),
  dn: z.string().optional(),
  elevation: elevationSchema.nullable(),
  /** A `stint ssh` grant: no credential is ever revealed for it. */
  launch: z.boolean(),
  expiresAt: z.string(),
  preexisting: z.boolean().optional(),
});

export type LinuxHandle = z.infer<typeof handleSchema> & GrantHandleData;
export type Elevation = z.infer<typeof elevationSchema>;

export function parseLinuxHandle(handle: GrantHandleData): LinuxHandle {
  const parsed = handleSchema.safeParse(handle);
  if (!parsed.success) throw new StintError('INTERNAL', 'linux provider: the stored grant handle is not one this provider wrote');
  return parsed.data as LinuxHandle;
}

/** Deterministic from the request scope, so a retried grant finds the same account and file (idempotence). */
export function shortGrantId(requestId: string, resourceId: string): string {
  return createHash('sha256').update(`${requestId}\0${resourceId}`).digest('hex').slice(0, 16);
}

export function ephemeralName(shortId: string): string {
  return `stint-${shortId}`;
}
