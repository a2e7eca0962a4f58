/**
 * The `aws` provider (DESIGN.md section 7): `identity-center` assigns a permission set on an account to the
 * person's Identity Center user (`accounts.aws`); `iam-role` lets the person assume a role through Stint with a
 * per-request SourceIdentity, cut on revoke by a deny conditioned on it. Each call builds the resource's SDK
 * clients (credentials from references or the default chain, one optional endpoint) and destroys them after.
 */
import { z } from 'zod';
import { StintError } from '../../domain/errors.ts';
import type { GrantHandleData, GrantTarget, Provider } from '../../core/ports.ts';
import { createAwsClients, destroyAwsClients, type AwsClients, type RetryTiming } from './aws-clients.ts';
import { parseAwsConfig, type AwsConfig } from './aws-config.ts';
import {
  checkIdentityCenter,
  grantIdentityCenter,
  listIdentityCenterGrants,
  revokeIdentityCenter,
  type IdentityCenterHandle,
  type Polling,
} from './identity-center.ts';
import { checkIamRole, grantIamRole, mintIamRoleCredential, revokeIamRole, type IamRoleHandle } from './iam-role.ts';

export interface AwsProviderOptions {
  /** Where `env:` references are read. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** The time used for session lengths and grant ends. @defaultValue () => new Date() */
  now?: () => Date;
  /** First backoff of a throttled/5xx call (doubling, capped at 20×). @defaultValue 200 */
  retryBaseDelayMs?: number;
  /** Timeout of one AWS HTTP call. @defaultValue 10_000 */
  requestTimeoutMs?: number;
  /** Between two status reads of an Identity Center assignment request. @defaultValue 1_000 */
  pollIntervalMs?: number;
  /** An assignment still provisioning after this long fails the call (retried later). @defaultValue 120_000 */
  provisionTimeoutMs?: number;
  /** Backoff unit for a ConflictException (an operation on the same assignment in flight). @defaultValue 1_000 */
  conflictDelayMs?: number;
}

const DEFAULTS = { retryBaseDelayMs: 200, requestTimeoutMs: 10_000, pollIntervalMs: 1_000, provisionTimeoutMs: 120_000, conflictDelayMs: 1_000 };

// Handles come back from the database as JSON: checked at this edge, trusted inside.
const handleSchema = z.discriminatedUnion('mode', [
  z.looseObject({
    mode: z.literal('identity-center'),
    permissionSetArn: z.string(),
    accountId: z.string(),
    userId: z.string(),
    marker: z.string(),
    preexisting: z.boolean(),
  }),
  z.looseObject({
    mode: z.literal('iam-role'),
    roleArn: z.string(),
    sourceIdentity: z.string(),
    sessionName: z.string(),
    denyPolicy: z.string(),
    expiresAt: z.iso.datetime(),
    preexisting: z.literal(false),
  }),
]);

function parseHandle(handle: GrantHandleData): IdentityCenterHandle | IamRoleHandle {
  const parsed = handleSchema.safeParse(handle);
  if (!parsed.success) throw new StintError('INTERNAL', 'aws provider: the stored grant handle is not one this provider wrote');
  return parsed.data as IdentityCenterHandle | IamRoleHandle;
}

function sameMode(config: AwsConfig, handle: IdentityCenterHandle | IamRoleHandle): void {
  if (config.mode !== handle.mode) {
    throw new StintError('POLICY_INVALID', `aws provider: this grant was made in mode ${handle.mode} but the resource is now ${config.mode}; restore the mode to revoke it`);
  }
}

export function createAwsProvider(options: AwsProviderOptions = {}): Provider {
  const env = options.env ?? process.env;
  const now = options.now ?? (() => new Date());
  const timing: RetryTiming = { baseDelayMs: options.retryBaseDelayMs ?? DEFAULTS.retryBaseDelayMs, requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs };
  const polling: Polling = {
    pollIntervalMs: options.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
    provisionTimeoutMs: options.provisionTimeoutMs ?? DEFAULTS.provisionTimeoutMs,
    conflictDelayMs: options.conflictDelayMs ?? DEFAULTS.conflictDelayMs,
  };

  async function withClients<T>(config: AwsConfig, work: (clients: AwsClients) => Promise<T>): Promise<T> {
    const clients = await createAwsClients(config, env, timing);
    try {
      return await work(clients);
    } finally {
      destroyAwsClients(clients);
    }
  }

  return {
    type: 'aws',
    validate(config) {
      parseAwsConfig(config);
    },
    async grant(raw, target: GrantTarget) {
      const config = parseAwsConfig(raw);
      if (config.mode === 'iam-role') return withClients(config, (clients) => grantIamRole(clients, config, target));
      const account = target.account;
      if (!account) {
        throw new StintError(
          'POLICY_INVALID',
          `resource ${target.resourceId}: ${target.principalId} has no aws account; add accounts.aws (their Identity Center user name) for them in the policy`,
        );
      }
      return withClients(config, (clients) => grantIdentityCenter(clients, config, { ...target, account }, polling));
    },
    async extend(_raw, data, newExpiry) {
      const handle = parseHandle(data);
      // An assignment has no native expiry (only Stint's timer ends it); a role grant's end sets future sessions' length.
      if (handle.mode === 'identity-center') return handle;
      return { ...handle, expiresAt: newExpiry.toISOString() };
    },
    async revoke(raw, data, { stillNeeded }) {
      const handle = parseHandle(data);
      const config = parseAwsConfig(raw);
      sameMode(config, handle);
      if (config.mode === 'identity-center') {
        return withClients(config, (clients) => revokeIdentityCenter(clients, config, handle as IdentityCenterHandle, stillNeeded, polling));
      }
      // The deny cuts only this request's sessions (its own SourceIdentity), so `stillNeeded` never keeps it:
      // another request of the person mints its own sessions.
      return withClients(config, (clients) => revokeIamRole(clients, handle as IamRoleHandle, now()));
    },
    async check(raw, data) {
      const handle = parseHandle(data);
      const config = parseAwsConfig(raw);
      sameMode(config, handle);
      return withClients(config, (clients) =>
        config.mode === 'identity-center' ? checkIdentityCenter(clients, config, handle as IdentityCenterHandle) : checkIamRole(clients, handle as IamRoleHandle, now()),
      );
    },
    describe(raw) {
      const config = parseAwsConfig(raw);
      if (config.mode === 'identity-center') {
        return `AWS Identity Center: permission set ${config.permissionSetArn.slice(config.permissionSetArn.lastIndexOf('/') + 1)} on account ${config.accountId}`;
      }
      return `AWS IAM role ${config.roleArn} through Stint-issued session credentials (at least 15 minutes, STS's floor; cut at the grant's end)`;
    },
    async listGranted(raw) {
      const config = parseAwsConfig(raw);
      // iam-role grants leave nothing on AWS until revoked: only Identity Center markers can be orphans.
      if (config.mode !== 'identity-center') return [];
      return withClients(config, (clients) => listIdentityCenterGrants(clients, config));
    },
    async credential(raw, data) {
      const handle = parseHandle(data);
      const config = parseAwsConfig(raw);
      if (handle.mode !== 'iam-role' || config.mode !== 'iam-role') {
        throw new StintError('POLICY_INVALID', 'this aws resource assigns a permission set to your own Identity Center user: sign in through your AWS access portal');
      }
      return withClients(config, (clients) => mintIamRoleCredential(clients, handle, now()));
    },
  };
}
