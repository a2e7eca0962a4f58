/**
 * API tokens (only SHA-256 hashes, invariant 6). Issuing and revoking write their audit event in the same
 * transaction (invariant 4).
 */
import type { ApiTokenRecord, AuditInput } from '../core/ports.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { appendAuditIn } from './audit-store.ts';
import { toApiTokenRecord } from './rows.ts';
import type { RunTransaction } from './transaction.ts';

export function insertToken(run: RunTransaction, token: ApiTokenRecord, audit: AuditInput): Promise<void> {
  return run(async (tx) => {
    const { id, prefix, hash, ownerId, ownerKind, scopes, label, createdAt, expiresAt, revokedAt } = token;
    const data = { id, prefix, hash, ownerId, ownerKind, scopes: [...scopes], label, createdAt, expiresAt, revokedAt };
    await tx.apiToken.create({ data, select: { id: true } });
    await appendAuditIn(tx, audit);
  });
}

export async function findTokenByHash(db: PrismaClient, hash: string): Promise<(ApiTokenRecord & { ownerSuspension: { at: Date; reason: string | null } | null }) | null> {
  const row = await db.apiToken.findUnique({ where: { hash } });
  if (!row) return null;
  // Only a service account can be suspended: a person's token costs no second read.
  const account = row.ownerKind === 'service' ? await db.serviceAccount.findUnique({ where: { id: row.ownerId } }) : null;
  const ownerSuspension = account?.suspended ? { at: account.suspendedAt ?? account.updatedAt, reason: account.suspendedReason } : null;
  return { ...toApiTokenRecord(row), ownerSuspension };
}

/** Live = not revoked and not expired at `audit.at`; anything else is left alone and gives null. */
export function revokeToken(run: RunTransaction, prefix: string, audit: AuditInput): Promise<ApiTokenRecord | null> {
  return run(async (tx) => {
    const { count } = await tx.apiToken.updateMany({
      where: { prefix, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: audit.at } }] },
      data: { revokedAt: audit.at },
    });
    if (count === 0) return null;
    const row = await tx.apiToken.findUniqueOrThrow({ where: { prefix } });
    await appendAuditIn(tx, audit);
    return toApiTokenRecord(row);
  });
}

/** Live as in revokeToken; the new token goes in only when the old one was live, and copies what it was for. */
export function rotateToken(
  run: RunTransaction,
  prefix: string,
  fresh: Pick<ApiTokenRecord, 'id' | 'prefix' | 'hash' | 'createdAt'>,
  audit: AuditInput,
): Promise<{ previous: ApiTokenRecord; record: ApiTokenRecord } | null> {
  return run(async (tx) => {
    const { count } = await tx.apiToken.updateMany({
      where: { prefix, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: audit.at } }] },
      data: { revokedAt: audit.at },
    });
    if (count === 0) return null;
    const old = await tx.apiToken.findUniqueOrThrow({ where: { prefix } });
    const { ownerId, ownerKind, scopes, label, expiresAt } = old;
    const row = await tx.apiToken.create({ data: { ...fresh, ownerId, ownerKind, scopes, label, expiresAt, revokedAt: null } });
    await appendAuditIn(tx, { ...audit, data: { ...audit.data, ownerId, scopes, expiresAt: expiresAt?.toISOString() ?? null } });
    return { previous: toApiTokenRecord(old), record: toApiTokenRecord(row) };
  });
}

export async function listTokens(db: PrismaClient, ownerId?: string): Promise<ApiTokenRecord[]> {
  const rows = await db.apiToken.findMany({
    where: ownerId !== undefined ? { ownerId } : {},
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return rows.map(toApiTokenRecord);
}
