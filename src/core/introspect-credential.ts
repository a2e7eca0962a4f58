/**
 * The policy enforcement point's question (RFC 7662): is this stint_jit_ credential live, and for which scopes?
 * Asked by resource servers with their own `introspect` token (or an admin). Active only when every one of these
 * holds at answer time: the value's hash is stored, the credential is not revoked and has scopes, its expiry is
 * in the future (judged by the clock now, also for a cached lookup), its request is ACTIVE, its principal is live
 * (a policy person not disabled, or a policy service account not suspended whose owner is not disabled) and no guardrail trips. Anything
 * else is `{ active: false }` and nothing more, so an inactive answer says nothing about why. No audit event:
 * an introspection changes no state (a counter in /metrics counts them).
 */
import { StintError } from '../domain/errors.ts';
import { actsAsAdmin, hasScope, type Actor } from './actor.ts';
import type { IntrospectionCache } from './introspection-cache.ts';
import { isJitToken } from './jit-token.ts';
import { hashToken } from './manage-tokens.ts';
import type { Clock, GuardrailCheck, JitCredentialLookup, JitCredentialStore, PolicySource } from './ports.ts';

export interface IntrospectionPorts {
  credentials: Pick<JitCredentialStore, 'findJitCredentialByHash'>;
  policy: PolicySource;
  clock: Clock;
  cache?: IntrospectionCache;
  /** The policy's guardrails (absent: none). */
  guardrail?: GuardrailCheck;
  /** Told each answer (metrics). */
  onAnswer?: (active: boolean) => void;
}

export interface IntrospectInput {
  token: string;
  /** The scope the resource server is about to allow (context for guardrails; the answer lists every scope). */
  scope?: string | null;
}

export type IntrospectionAnswer =
  | { active: false }
  | {
      active: true;
      /** Space-separated resource ids, sorted. */
      scope: string;
      /** Expiry, seconds since the epoch. */
      exp: number;
      /** When the credential was issued (its grant), seconds since the epoch. */
      iat: number;
      sub: string;
      request_id: string;
      token_type: 'stint_jit';
      /** The service account, when an agent holds the credential. */
      client_id?: string;
    };

const INACTIVE = { active: false } as const;

export async function introspectCredential(actor: Actor, input: IntrospectInput, ports: IntrospectionPorts): Promise<IntrospectionAnswer> {
  const policy = ports.policy.current();
  if (!hasScope(actor, 'introspect') && !actsAsAdmin(policy, actor)) {
    throw new StintError('FORBIDDEN', 'Introspection needs a token with the "introspect" scope; create one for the resource server with --scopes introspect', {
      scope: 'introspect',
    });
  }
  const answer = await judge(actor, input, ports);
  ports.onAnswer?.(answer.active);
  return answer;
}

async function judge(actor: Actor, input: IntrospectInput, ports: IntrospectionPorts): Promise<IntrospectionAnswer> {
  if (!isJitToken(input.token)) return INACTIVE;
  const lookup = await find(hashToken(input.token), ports);
  const now = ports.clock.now();
  if (!lookup || lookup.revokedAt !== null || lookup.scopes.length === 0) return INACTIVE;
  if (lookup.expiresAt.getTime() <= now.getTime() || lookup.requestStatus !== 'ACTIVE') return INACTIVE;

  const policy = ports.policy.current();
  const account = policy.serviceAccounts.get(lookup.principalId);
  const isService = account !== undefined;
  // A service account also dies with its owner (offboarding reaches the bots too, as in canRequest).
  const live = account
    ? lookup.serviceAccountSuspended === false && policy.people.get(account.owner)?.disabled === false
    : policy.people.get(lookup.principalId)?.disabled === false;
  if (!live) return INACTIVE;

  const scopes = [...lookup.scopes].sort();
  if (isService && ports.guardrail) {
    const tripped = await ports.guardrail({
      serviceAccountId: lookup.principalId,
      requestId: lookup.requestId,
      request: { requesterId: lookup.requestRequesterId, reason: lookup.requestReason ?? '', ticket: lookup.requestTicket },
      credentialScopes: scopes,
      askedScope: input.scope ?? null,
      resourceServerId: actor.id,
    });
    if (tripped) return INACTIVE;
  }
  return {
    active: true,
    scope: scopes.join(' '),
    exp: Math.floor(lookup.expiresAt.getTime() / 1000),
    iat: Math.floor(lookup.createdAt.getTime() / 1000),
    sub: lookup.principalId,
    request_id: lookup.requestId,
    token_type: 'stint_jit',
    ...(isService ? { client_id: lookup.principalId } : {}),
  };
}

async function find(hash: string, ports: IntrospectionPorts): Promise<JitCredentialLookup | null> {
  const cache = ports.cache;
  if (!cache) return ports.credentials.findJitCredentialByHash(hash);
  const cached = cache.get(hash);
  if (cached !== undefined) return cached;
  const since = cache.clock();
  const lookup = await ports.credentials.findJitCredentialByHash(hash);
  cache.set(hash, lookup, since);
  return lookup;
}
