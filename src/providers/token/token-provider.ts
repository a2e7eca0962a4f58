/**
 * `token`: scopes for agents and resource servers (DESIGN.md section 7). A grant puts the resource id into the
 * request's one stint_jit_ credential (a row per request, bound to the request's expiry); resource servers ask
 * `POST /api/v1/introspect` whether a presented value is live and for which scopes. Nothing exists on any other
 * system, so revoke is immediate and complete: a scope removed is gone from the next introspection, and a
 * credential left without scopes is revoked.
 *
 * A request with several token scopes has ONE credential. It is minted (rotated: the earlier value stops
 * working) when the requester reveals it, by the handle of the first scope in sort order; the other handles
 * answer POLICY_INVALID, which the reveal use case reads as "no credential of its own".
 */
import { z } from 'zod';
import { StintError } from '../../domain/errors.ts';
import { mintJitToken } from '../../core/jit-token.ts';
import type { Clock, GrantHandleData, JitCredentialStore, Provider } from '../../core/ports.ts';
import { parseProviderConfig } from '../provider-config.ts';

export interface TokenProviderOptions {
  /**
   * Where credentials live (the store). Absent where no store is open (`stint policy check`): validate and
   * describe work, anything else fails closed with UNAVAILABLE.
   */
  credentials?: JitCredentialStore;
  clock?: Clock;
  /** Told the request id after each write to its credential (revoke, rotate, extend): the introspection cache forgets it. */
  onChange?: (requestId: string) => void;
}

const tokenConfigSchema = z.strictObject({ type: z.literal('token') });

const handleSchema = z.object({ requestId: z.string().min(1), scope: z.string().min(1) });

function handleOf(data: GrantHandleData): { requestId: string; scope: string } {
  const parsed = handleSchema.safeParse(data);
  if (!parsed.success) throw new Error('token provider: a grant handle must carry requestId and scope');
  return parsed.data;
}

export function createTokenProvider(options: TokenProviderOptions = {}): Provider {
  const clock = options.clock ?? { now: () => new Date() };
  const changed = (requestId: string) => options.onChange?.(requestId);
  const store = (): JitCredentialStore => {
    if (!options.credentials) throw new StintError('UNAVAILABLE', 'The token provider has no credential store in this process; run it inside `stint serve`, `worker` or `all`');
    return options.credentials;
  };

  return {
    type: 'token',
    validate(config) {
      parseProviderConfig('token', tokenConfigSchema, config);
    },
    async grant(_config, target) {
      await store().addJitScope({ requestId: target.requestId, principalId: target.principalId, scope: target.resourceId, expiresAt: target.expiresAt, at: clock.now() });
      changed(target.requestId);
      return { requestId: target.requestId, scope: target.resourceId };
    },
    async extend(_config, handle, newExpiry) {
      const { requestId } = handleOf(handle);
      await store().extendJitCredential(requestId, newExpiry, clock.now());
      changed(requestId);
      return handle;
    },
    // `stillNeeded` is ignored on purpose: each request has its own credential, so another request holding the same
    // scope never needs this one's to stay.
    async revoke(_config, handle) {
      const { requestId, scope } = handleOf(handle);
      await store().removeJitScope(requestId, scope, clock.now());
      changed(requestId);
    },
    async check(_config, handle) {
      const { requestId, scope } = handleOf(handle);
      const credential = await store().getJitCredential(requestId);
      return credential && credential.revokedAt === null && credential.scopes.includes(scope) ? 'present' : 'absent';
    },
    describe() {
      return 'a stint_jit_ credential for this scope, checked by resource servers through POST /api/v1/introspect';
    },
    async credential(_config, handle) {
      const { requestId, scope } = handleOf(handle);
      const credential = await store().getJitCredential(requestId);
      if (!credential || credential.revokedAt !== null || !credential.scopes.includes(scope)) {
        throw new Error(`no live stint_jit_ credential holds ${scope} for ${requestId}`);
      }
      const scopes = [...credential.scopes].sort();
      if (scopes[0] !== scope) {
        throw new StintError('POLICY_INVALID', `covered by the stint_jit_ credential revealed for ${scopes[0]}`, { scope, coveredBy: scopes[0] });
      }
      const minted = mintJitToken();
      const rotated = await store().rotateJitCredential(requestId, { hash: minted.hash, prefix: minted.prefix }, clock.now());
      changed(requestId);
      if (!rotated) throw new Error(`the stint_jit_ credential of ${requestId} was revoked meanwhile`);
      return {
        username: credential.principalId,
        password: minted.token,
        expiresAt: credential.expiresAt,
        hint: `send it as "Authorization: Bearer …" to a resource server; scopes: ${scopes.join(' ')}`,
      };
    },
  };
}
