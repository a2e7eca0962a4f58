/**
 * Grant handles: one row per scope of a request, holding what revoke needs (provider config with secret
 * references only, and the provider's handle). The `handle` JSON column keeps `{ config, data }`.
 */
import type { GrantHandleRecord } from '../core/ports.ts';
import type { AccessRequest } from '../domain/request.ts';
import { Prisma, type GrantHandle as GrantHandleRow, type PrismaClient, type Request as RequestRow } from '../generated/prisma/client.ts';
import { REQUEST_COLUMNS, toAccessRequest } from './rows.ts';

const SELECT_REQUEST_COLUMNS = Prisma.raw(REQUEST_COLUMNS.map((column) => `"${column}"`).join(', '));

type Reader = PrismaClient | Prisma.TransactionClient;

const id = (requestId: string, resourceId: string) => `${requestId}/${resourceId}`;

function toRecord(row: GrantHandleRow): GrantHandleRecord {
  const stored = (row.handle ?? {}) as { config?: Record<string, unknown>; data?: Record<string, unknown> };
  return {
    requestId: row.requestId,
    resourceId: row.resourceId,
    provider: row.provider,
    config: stored.config ?? {},
    data: stored.data ?? {},
    attempts: row.attempts,
    lastError: row.lastError,
  };
}

export async function saveGrantHandle(db: Reader, h: GrantHandleRecord): Promise<void> {
  const handle = { config: h.config, data: h.data } as Prisma.InputJsonValue;
  await db.grantHandle.upsert({
    where: { requestId_resourceId: { requestId: h.requestId, resourceId: h.resourceId } },
    create: { id: id(h.requestId, h.resourceId), requestId: h.requestId, resourceId: h.resourceId, provider: h.provider, handle, attempts: h.attempts, lastError: h.lastError },
    update: { provider: h.provider, handle, attempts: h.attempts, lastError: h.lastError, updatedAt: new Date() },
    select: { id: true },
  });
}

export async function listGrantHandles(db: Reader, requestId: string): Promise<GrantHandleRecord[]> {
  const rows = await db.grantHandle.findMany({ where: { requestId }, orderBy: { resourceId: 'asc' } });
  return rows.map(toRecord);
}

/** Stops at the first other holder (one indexed probe), however many grants the person has. */
export async function hasOtherActiveHolder(db: Reader, requesterId: string, resourceId: string, exceptRequestId: string): Promise<boolean> {
  const found = await db.request.findFirst({ where: { requesterId, status: 'ACTIVE', scopes: { has: resourceId }, id: { not: exceptRequestId } }, select: { id: true } });
  return found !== null;
}

export async function recordGrantError(db: Reader, requestId: string, resourceId: string, error: string): Promise<void> {
  await db.grantHandle.updateMany({
    where: { requestId, resourceId },
    data: { attempts: { increment: 1 }, lastError: error.slice(0, 2000), updatedAt: new Date() },
  });
}

export async function listDueRequests(db: Reader, now: Date, limit: number): Promise<AccessRequest[]> {
  const rows = await db.request.findMany({
    where: { status: { in: ['PENDING', 'APPROVED', 'ACTIVE', 'REVOKING'] }, nextActionAt: { lte: now } },
    orderBy: [{ nextActionAt: 'asc' }, { id: 'asc' }],
    take: limit,
  });
  return rows.map(toAccessRequest);
}

export async function listGrantHandlesOf(db: Reader, requestIds: string[]): Promise<GrantHandleRecord[]> {
  if (requestIds.length === 0) return [];
  const rows = await db.grantHandle.findMany({ where: { requestId: { in: requestIds } }, orderBy: [{ requestId: 'asc' }, { resourceId: 'asc' }] });
  return rows.map(toRecord);
}

export async function listPendingDueBetween(db: Reader, after: Date, before: Date, limit: number): Promise<AccessRequest[]> {
  const rows = await db.request.findMany({
    where: { status: 'PENDING', nextActionAt: { gt: after, lte: before } },
    orderBy: [{ nextActionAt: 'asc' }, { id: 'asc' }],
    take: limit,
  });
  return rows.map(toAccessRequest);
}

export async function listActiveExpiringBetween(db: Reader, after: Date, before: Date, limit: number): Promise<AccessRequest[]> {
  const rows = await db.request.findMany({
    where: { status: 'ACTIVE', expiresAt: { gt: after, lte: before } },
    orderBy: [{ expiresAt: 'asc' }, { id: 'asc' }],
    take: limit,
  });
  return rows.map(toAccessRequest);
}

/**
 * Conditional update: the lease moves only when free, lapsed, or already ours (a renewal). RETURNING gives the row
 * as it stands after the claim (the latest committed version: READ COMMITTED re-reads a row it waited for), the
 * read the holder would otherwise do next.
 */
export async function claimRequest(db: Reader, id: string, owner: string, until: Date, now: Date): Promise<AccessRequest | null> {
  const rows = await db.$queryRaw<RequestRow[]>`
    UPDATE "Request" SET "leaseOwner" = ${owner}, "leaseUntil" = ${until.toISOString()}::timestamptz
     WHERE "id" = ${id} AND ("leaseUntil" IS NULL OR "leaseUntil" < ${now.toISOString()}::timestamptz OR "leaseOwner" = ${owner})
     RETURNING ${SELECT_REQUEST_COLUMNS}`;
  return rows[0] ? toAccessRequest(rows[0]) : null;
}

export async function releaseRequest(db: Reader, id: string, owner: string): Promise<void> {
  await db.request.updateMany({ where: { id, leaseOwner: owner }, data: { leaseOwner: null, leaseUntil: null } });
}

export async function listRecentlyEnded(db: Reader, since: Date, limit: number): Promise<AccessRequest[]> {
  const rows = await db.request.findMany({
    where: { OR: [{ status: 'REVOKED', revokedAt: { gte: since } }, { status: 'GRANT_FAILED', decidedAt: { gte: since } }] },
    // Newest first: when more ended than `limit`, the ones that just ended are the ones worth a look.
    orderBy: { id: 'desc' },
    take: limit,
  });
  return rows.map(toAccessRequest);
}
