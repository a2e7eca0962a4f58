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

export async function findTokenByHash(db: PrismaClient, hash: string): Promise<ApiTokenRecord | null> {
  const row = await db.apiToken.findUnique({ where: { hash } });
  return row ? toApiTokenRecord(row) : null;
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

export async function listTokens(db: PrismaClient, ownerId?: string): Promise<ApiTokenRecord[]> {
  const rows = await db.apiToken.findMany({
    where: ownerId !== undefined ? { ownerId } : {},
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return rows.map(toApiTokenRecord);
}
