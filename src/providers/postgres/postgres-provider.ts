/**
 * The `postgres` provider (DESIGN.md section 7): `membership` grants an existing role to the person's login
 * role (`accounts.postgres`); `ephemeral` creates a login role per request. Each call takes one admin
 * connection from the pool of the resource's `connection` (postgres-connection.ts); `close()` ends them.
 */
import { z } from 'zod';
import { StintError } from '../../domain/errors.ts';
import type { GrantHandleData, GrantTarget, Provider } from '../../core/ports.ts';
import { resolveSecret } from '../secrets.ts';
import { parsePostgresConfig, type PostgresConfig } from './postgres-config.ts';
import type pg from 'pg';
import { createTargetPools } from './postgres-connection.ts';
import { checkMembership, grantMembership, revokeMembership, type MembershipHandle } from './membership.ts';
import { activityOf } from './session-watch.ts';
import { checkEphemeral, extendEphemeral, grantEphemeral, mintEphemeralCredential, revokeEphemeral, type EphemeralHandle } from './ephemeral.ts';

export interface PostgresProviderOptions {
  /** Where `env:` references are read. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** Server-side `statement_timeout` of every admin connection. @defaultValue 10_000 */
  statementTimeoutMs?: number;
}

const DEFAULTS = { connectTimeoutSec: 5, statementTimeoutMs: 10_000 };

// Handles come back from the database as JSON: checked at this edge, trusted inside.
const handleSchema = z.discriminatedUnion('mode', [
  z.looseObject({ mode: z.literal('membership'), role: z.string(), account: z.string(), marker: z.string(), preexisting: z.boolean() }),
  z.looseObject({ mode: z.literal('ephemeral'), roleName: z.string(), login: z.string() }),
]);

function parseHandle(handle: GrantHandleData): MembershipHandle | EphemeralHandle {
  const parsed = handleSchema.safeParse(handle);
  if (!parsed.success) throw new StintError('INTERNAL', 'postgres provider: the stored grant handle is not one this provider wrote');
  return parsed.data as MembershipHandle | EphemeralHandle;
}

export function createPostgresProvider(options: PostgresProviderOptions = {}): Provider {
  const env = options.env ?? process.env;
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULTS.statementTimeoutMs;

  const targets = createTargetPools();

  // The secret is resolved at each call: a rotated `file:` password gets a pool of its own from the next call on.
  async function connect<T>(config: PostgresConfig, work: (client: pg.ClientBase) => Promise<T>, url?: string): Promise<T> {
    const target = { url: url ?? (await resolveSecret(config.connection, env)), statementTimeoutMs, connectTimeoutSec: config.connectTimeoutSec ?? DEFAULTS.connectTimeoutSec };
    return targets.withTarget(target, work);
  }

  return {
    type: 'postgres',
    close: () => targets.close(),
    validate(config) {
      parsePostgresConfig(config);
    },
    async grant(raw, target: GrantTarget) {
      const config = parsePostgresConfig(raw);
      const options = { logStatements: config.logStatements === true };
      if (config.mode === 'ephemeral') return connect(config, (client) => grantEphemeral(client, config.role, target, options));
      const account = target.account;
      if (!account) {
        throw new StintError('POLICY_INVALID', `resource ${target.resourceId}: ${target.principalId} has no postgres account; add accounts.postgres for them in the policy`);
      }
      return connect(config, (client) => grantMembership(client, config.role, { ...target, account }, options));
    },
    async extend(raw, data, newExpiry) {
      const handle = parseHandle(data);
      // A membership has no native expiry: only Stint's timer ends it.
      if (handle.mode === 'membership') return handle;
      return connect(parsePostgresConfig(raw), (client) => extendEphemeral(client, handle, newExpiry));
    },
    async revoke(raw, data, { stillNeeded }) {
      const handle = parseHandle(data);
      const config = parsePostgresConfig(raw);
      if (handle.mode === 'membership') {
        return connect(config, (client) => revokeMembership(client, handle, stillNeeded));
      }
      // An ephemeral role belongs to this request alone, so `stillNeeded` never applies to it.
      return connect(config, (client) => revokeEphemeral(client, handle));
    },
    async check(raw, data) {
      const handle = parseHandle(data);
      const config = parsePostgresConfig(raw);
      return connect(config, (client) => (handle.mode === 'membership' ? checkMembership(client, handle) : checkEphemeral(client, handle)));
    },
    describe(raw) {
      const config = parsePostgresConfig(raw);
      const access = config.mode === 'ephemeral' ? `PostgreSQL: a temporary login role holding ${config.role}` : `PostgreSQL: membership in role ${config.role} for your own login`;
      return config.logStatements ? `${access}; every statement logged` : access;
    },
    async activity(raw, data) {
      const handle = parseHandle(data);
      return connect(parsePostgresConfig(raw), (client) => activityOf(client, handle.mode === 'membership' ? handle.account : handle.login));
    },
    async credential(raw, data) {
      const handle = parseHandle(data);
      const config = parsePostgresConfig(raw);
      if (handle.mode !== 'ephemeral') {
        throw new StintError('POLICY_INVALID', 'this postgres resource grants a role to your own login: there is no credential to reveal');
      }
      const url = await resolveSecret(config.connection, env);
      return connect(config, (client) => mintEphemeralCredential(client, handle, url), url);
    },
  };
}
