/**
 * The `provider:` block of a postgres resource, validated with zod at policy load. The role must be a plain
 * identifier (no quoting tricks can reach the SQL), the connection a secret reference (never inline).
 */
import { z } from 'zod';
import { parseProviderConfig } from '../provider-config.ts';
import { isSecretRef } from '../secrets.ts';

/** A plain PostgreSQL identifier (at most 63 bytes); anything else is refused rather than escaped. */
export const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

export const POSTGRES_MODES = ['membership', 'ephemeral'] as const;

export const postgresConfigSchema = z.strictObject({
  type: z.literal('postgres'),
  connection: z
    .string({ error: 'required: env:NAME or file:/path holding an admin connection URL' })
    .refine(isSecretRef, { error: 'must be env:NAME or file:/path; inline connection strings are refused' }),
  role: z
    .string({ error: 'required: the existing role to grant' })
    .regex(PLAIN_IDENTIFIER, { error: 'must be a plain identifier ([A-Za-z_][A-Za-z0-9_$]*, at most 63 characters)' }),
  mode: z.enum(POSTGRES_MODES, { error: 'must be membership or ephemeral' }).default('membership'),
  /**
   * Log every statement the grantee runs while the grant lasts (`ALTER ROLE … SET log_statement = 'all'`, reverted
   * on revoke; a setting the login already had is left alone). Needs an admin allowed to set log_statement.
   */
  logStatements: z.boolean().optional(),
  /** @defaultValue 5 */
  connectTimeoutSec: z.number().int().min(1).max(60).optional(),
});

export type PostgresConfig = z.infer<typeof postgresConfigSchema>;

/** Parses a resource's provider block; throws POLICY_INVALID naming every bad field (values never echoed). */
export function parsePostgresConfig(config: Record<string, unknown>): PostgresConfig {
  return parseProviderConfig('postgres', postgresConfigSchema, config);
}
