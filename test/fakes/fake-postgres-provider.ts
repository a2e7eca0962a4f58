/**
 * A stand-in for the postgres provider where no database is at hand (API and CLI tests): grants live in
 * memory like the no-op provider's, `extend` is recorded, and `credential` mints a fresh password for
 * `mode: ephemeral` resources while refusing memberships exactly as the real provider does.
 */
import { randomBytes } from 'node:crypto';
import type { GrantHandleData, GrantTarget, MintedCredential, Provider } from '../../src/core/ports.ts';
import { StintError } from '../../src/domain/errors.ts';

export interface FakePostgresProvider extends Provider {
  /** Current expiry of each present grant, by `requestId/resourceId`. */
  readonly expiries: Map<string, Date>;
  readonly extendCalls: Array<{ key: string; newExpiry: Date }>;
  /** Every password this provider handed out (tests look for them in logs and audit). */
  readonly minted: string[];
}

export function createFakePostgresProvider(): FakePostgresProvider {
  const expiries = new Map<string, Date>();
  const extendCalls: Array<{ key: string; newExpiry: Date }> = [];
  const minted: string[] = [];
  const keyOf = (handle: GrantHandleData) => String(handle.key);
  return {
    type: 'postgres',
    expiries,
    extendCalls,
    minted,
    validate() {},
    async grant(config, target: GrantTarget) {
      const key = `${target.requestId}/${target.resourceId}`;
      if (!expiries.has(key)) expiries.set(key, target.expiresAt);
      return { key, mode: config.mode === 'ephemeral' ? 'ephemeral' : 'membership', login: `stint_${target.resourceId.replace(/\W/g, '_')}` };
    },
    async extend(_config, handle, newExpiry) {
      extendCalls.push({ key: keyOf(handle), newExpiry });
      if (expiries.has(keyOf(handle))) expiries.set(keyOf(handle), newExpiry);
      return handle;
    },
    async revoke(_config, handle, { stillNeeded }) {
      if (!stillNeeded) expiries.delete(keyOf(handle));
    },
    async check(_config, handle) {
      return expiries.has(keyOf(handle)) ? 'present' : 'absent';
    },
    describe(config) {
      return config.mode === 'ephemeral' ? 'PostgreSQL: a temporary login role' : `PostgreSQL: membership in role ${String(config.role)} for your own login`;
    },
    async credential(_config, handle): Promise<MintedCredential> {
      if (handle.mode !== 'ephemeral') {
        throw new StintError('POLICY_INVALID', 'this postgres resource grants a role to your own login: there is no credential to reveal');
      }
      const expiresAt = expiries.get(keyOf(handle));
      if (!expiresAt) throw new StintError('NOT_FOUND', 'the login role no longer exists');
      const password = randomBytes(18).toString('base64url');
      minted.push(password);
      return { username: String(handle.login), password, expiresAt, hint: `postgres://${String(handle.login)}@db.example:5432/app` };
    },
  };
}
