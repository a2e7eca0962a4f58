/**
 * Long-lived API tokens (`stint_live_…`): minted once, shown once, stored as SHA-256 only (invariant 6).
 * `authenticateToken` turns a presented bearer token into an Actor.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ulid } from 'ulid';
import { StintError } from '../domain/errors.ts';
import type { Via } from '../domain/request.ts';
import type { Policy } from '../policy/model.ts';
import type { Actor } from './actor.ts';
import { TOKEN_SCOPES, type ApiTokenRecord, type Clock, type TokenScope, type TokenStore } from './ports.ts';

export const LIVE_TOKEN_PREFIX = 'stint_live_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export interface IssueTokenInput {
  ownerId: string;
  scopes?: string[];
  expiresInSec?: number;
  label?: string;
  issuedBy: string;
}

/** Returns the raw token (shown once) and the stored record (hash only). */
export async function issueToken(input: IssueTokenInput, ports: { tokens: TokenStore; clock: Clock; policy: Policy }): Promise<{ token: string; record: ApiTokenRecord }> {
  const now = ports.clock.now();
  const kind = ports.policy.people.has(input.ownerId) ? 'person' : ports.policy.serviceAccounts.has(input.ownerId) ? 'service' : undefined;
  if (!kind) {
    throw new StintError('NOT_FOUND', `"${input.ownerId}" is neither a person nor a service account in the policy`, { ownerId: input.ownerId });
  }
  const scopes = input.scopes && input.scopes.length > 0 ? input.scopes : kind === 'person' ? ['request', 'approve'] : ['request'];
  const unknown = scopes.filter((s) => !(TOKEN_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new StintError('INVALID_BODY', `Unknown token scope ${unknown.join(', ')}; use ${TOKEN_SCOPES.join(', ')}`, { field: 'scopes' });
  }
  const { token, fresh } = mintToken(now);
  const record: ApiTokenRecord = {
    ...fresh,
    ownerId: input.ownerId,
    ownerKind: kind,
    scopes: scopes as TokenScope[],
    label: input.label ?? null,
    expiresAt: input.expiresInSec ? new Date(now.getTime() + input.expiresInSec * 1000) : null,
    revokedAt: null,
  };
  await ports.tokens.insertToken(record, {
    actor: input.issuedBy,
    action: 'token.created',
    data: { prefix: record.prefix, ownerId: record.ownerId, scopes: record.scopes, expiresAt: record.expiresAt?.toISOString() ?? null },
    at: now,
  });
  return { token, record };
}

export async function revokeToken(prefix: string, actorId: string, ports: { tokens: TokenStore; clock: Clock }): Promise<ApiTokenRecord> {
  const now = ports.clock.now();
  const revoked = await ports.tokens.revokeToken(prefix, { actor: actorId, action: 'token.revoked', data: { prefix }, at: now });
  if (!revoked) throw new StintError('NOT_FOUND', `No live token with prefix ${prefix}; \`stint token list\` shows them`, { prefix });
  return revoked;
}

/**
 * Replaces a live token with a new one of the same owner, scopes, label and expiry; the old one is revoked in the
 * same transaction (audited `token.rotated` with both prefixes). The raw new token is returned here only.
 */
export async function rotateToken(prefix: string, actorId: string, ports: { tokens: TokenStore; clock: Clock }): Promise<{ token: string; record: ApiTokenRecord; previous: ApiTokenRecord }> {
  const now = ports.clock.now();
  const { token, fresh } = mintToken(now);
  const rotated = await ports.tokens.rotateToken(prefix, fresh, { actor: actorId, action: 'token.rotated', data: { prefix, newPrefix: fresh.prefix }, at: now });
  if (!rotated) throw new StintError('NOT_FOUND', `No live token with prefix ${prefix}; \`stint token list\` shows them`, { prefix });
  return { token, ...rotated };
}

/** A fresh secret and what is stored of it (its hash and the prefix that names it). */
function mintToken(now: Date): { token: string; fresh: Pick<ApiTokenRecord, 'id' | 'prefix' | 'hash' | 'createdAt'> } {
  const token = `${LIVE_TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
  // The prefix names the token in listings and `token revoke`; it is not enough to use it.
  return { token, fresh: { id: ulid(now.getTime()), prefix: token.slice(0, LIVE_TOKEN_PREFIX.length + 8), hash: hashToken(token), createdAt: now } };
}

export interface AuthPorts {
  tokens: TokenStore;
  clock: Clock;
  policy: Policy;
  /** The bootstrap admin token from STINT_ADMIN_TOKEN, if configured (kept only as its hash). */
  bootstrapHash?: string;
}

const unauthenticated = (why: string) =>
  new StintError('UNAUTHENTICATED', `${why}: send "Authorization: Bearer stint_live_…" (create one with \`stint token create --for <you>\`)`);

export async function authenticateToken(token: string | undefined, via: Via, ports: AuthPorts): Promise<Actor> {
  if (!token) throw unauthenticated('No token');
  const hash = hashToken(token);
  if (ports.bootstrapHash && timingSafeEqual(Buffer.from(hash), Buffer.from(ports.bootstrapHash))) {
    return { id: 'bootstrap', kind: 'bootstrap', scopes: [...TOKEN_SCOPES], via };
  }
  if (!token.startsWith(LIVE_TOKEN_PREFIX)) throw unauthenticated('Unknown token');
  const record = await ports.tokens.findTokenByHash(hash);
  if (!record) throw unauthenticated('Unknown token');
  if (record.revokedAt) throw unauthenticated('This token was revoked');
  if (record.expiresAt && record.expiresAt <= ports.clock.now()) throw unauthenticated('This token has expired');
  const live =
    record.ownerKind === 'person'
      ? ports.policy.people.get(record.ownerId)?.disabled === false
      : ports.policy.serviceAccounts.has(record.ownerId);
  if (!live) throw unauthenticated(`The owner of this token (${record.ownerId}) is no longer in the policy`);
  if (record.ownerSuspension) {
    const why = record.ownerSuspension.reason ? ` (${record.ownerSuspension.reason})` : '';
    throw new StintError(
      'UNAUTHENTICATED',
      `Service account ${record.ownerId} is suspended since ${record.ownerSuspension.at.toISOString()}${why}: its tokens are refused until an admin lifts it with \`stint service-account unsuspend ${record.ownerId} <comment>\``,
      { serviceAccountId: record.ownerId },
    );
  }
  return { id: record.ownerId, kind: record.ownerKind, scopes: record.scopes, via };
}

/** What a token listing shows: never the hash. */
export function describeToken(t: ApiTokenRecord) {
  return {
    prefix: t.prefix,
    ownerId: t.ownerId,
    ownerKind: t.ownerKind,
    scopes: t.scopes,
    label: t.label,
    createdAt: t.createdAt.toISOString(),
    expiresAt: t.expiresAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
  };
}

export type TokenListing = ReturnType<typeof describeToken>;
