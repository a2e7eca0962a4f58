/**
 * Requests and decisions: the transaction handle use cases receive (`StoreTx`) and the plain reads of
 * `RequestStore`. Invariant 2 (DESIGN.md section 2) lives here: lock the row, then move it with a
 * conditional update whose row count the caller checks.
 */
import type { AuditInput, GrantHandleRecord, RequestFilter, RequestPatch, ReviewAcknowledgement, StoreTx } from '../core/ports.ts';
import type { AccessRequest, Decision, RequestStatus } from '../domain/request.ts';
import { Prisma, type PrismaClient, type Request as RequestRow } from '../generated/prisma/client.ts';
import { stageAuditEvents } from './audit-store.ts';
import { claimRequest, releaseRequest, saveGrantHandle } from './grant-store.ts';
import { REQUEST_COLUMNS, toAccessRequest, toDecision, toRequestCreate } from './rows.ts';

const SELECT_REQUEST_COLUMNS = Prisma.raw(REQUEST_COLUMNS.map((column) => `"${column}"`).join(', '));

/** Page size when a filter names none, and the most one call returns. */
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 1000;

export class PrismaStoreTx implements StoreTx {
  private readonly pendingAudit: AuditInput[] = [];

  constructor(private readonly tx: Prisma.TransactionClient) {}

  async lockRequest(id: string): Promise<AccessRequest | null> {
    const rows = await this.tx.$queryRaw<RequestRow[]>`
      SELECT ${SELECT_REQUEST_COLUMNS} FROM "Request" WHERE "id" = ${id} FOR UPDATE`;
    return rows[0] ? toAccessRequest(rows[0]) : null;
  }

  async insertRequest(request: AccessRequest): Promise<void> {
    await this.tx.request.create({ data: toRequestCreate(request), select: { id: true } });
  }

  async transition(id: string, from: RequestStatus, to: RequestStatus, patch: RequestPatch = {}): Promise<boolean> {
    // Conditional update: a second click, a late timer or a stale `from` moves nothing and gets false.
    const { count } = await this.tx.request.updateMany({
      where: { id, status: from },
      data: { ...patch, status: to },
    });
    return count === 1;
  }

  async claimPeriodicRun(name: string, period: string, at: Date): Promise<boolean> {
    const inserted = await this.tx.$executeRaw`
      INSERT INTO "PeriodicRun" ("name", "period", "ranAt") VALUES (${name}, ${period}, ${at.toISOString()}::timestamptz)
      ON CONFLICT ("name", "period") DO NOTHING`;
    return inserted === 1;
  }

  async insertDecision(decision: Decision): Promise<boolean> {
    // ON CONFLICT instead of catching P2002: in PostgreSQL a failed statement aborts the whole transaction.
    const inserted = await this.tx.$executeRaw`
      INSERT INTO "Decision" ("id", "requestId", "approverId", "verdict", "comment", "via", "at")
      VALUES (${decision.id}, ${decision.requestId}, ${decision.approverId}, ${decision.verdict},
              ${decision.comment}, ${decision.via}, ${decision.at.toISOString()}::timestamptz)
      ON CONFLICT ("requestId", "approverId") DO NOTHING`;
    return inserted === 1;
  }

  listDecisions(requestId: string): Promise<Decision[]> {
    return listDecisions(this.tx, requestId);
  }

  /** Queued; `flushAudit` writes the queue when the transaction's work is done. */
  appendAudit(event: AuditInput): void {
    this.pendingAudit.push(event);
  }

  saveGrantHandle(handle: GrantHandleRecord): Promise<void> {
    return saveGrantHandle(this.tx, handle);
  }

  releaseRequest(id: string, owner: string): Promise<void> {
    return releaseRequest(this.tx, id, owner);
  }

  claimRequest(id: string, owner: string, until: Date, now: Date): Promise<AccessRequest | null> {
    return claimRequest(this.tx, id, owner, until, now);
  }

  async acknowledgeReview(id: string, review: ReviewAcknowledgement): Promise<boolean> {
    // Conditional update: a second reviewer's click a moment later moves nothing.
    const { count } = await this.tx.request.updateMany({ where: { id, reviewStatus: 'PENDING' }, data: { ...review, reviewStatus: 'ACKNOWLEDGED' } });
    return count === 1;
  }

  async markReviewReminded(id: string, at: Date, dueBefore: Date): Promise<boolean> {
    const { count } = await this.tx.request.updateMany({ where: { id, ...reviewDue(dueBefore) }, data: { reviewRemindedAt: at } });
    return count === 1;
  }

  /** Chained when the transaction commits (see store/audit-store.ts). */
  flushAudit(): Promise<void> {
    return stageAuditEvents(this.tx, this.pendingAudit.splice(0));
  }
}

type Reader = PrismaClient | Prisma.TransactionClient;

export async function getRequest(db: Reader, id: string): Promise<AccessRequest | null> {
  const row = await db.request.findUnique({ where: { id } });
  return row ? toAccessRequest(row) : null;
}

export async function listRequests(db: Reader, filter: RequestFilter): Promise<AccessRequest[]> {
  const limit = Math.min(Math.max(Math.floor(filter.limit ?? DEFAULT_LIST_LIMIT), 1), MAX_LIST_LIMIT);
  const rows = await db.request.findMany({
    where: {
      ...(filter.statuses ? { status: { in: filter.statuses } } : {}),
      ...(filter.requesterId !== undefined ? { requesterId: filter.requesterId } : {}),
      ...(filter.workflows ? { workflow: { in: filter.workflows } } : {}),
      ...(filter.beforeId !== undefined ? { id: { lt: filter.beforeId } } : {}),
      ...(filter.reviewStatus !== undefined ? { reviewStatus: filter.reviewStatus } : {}),
      ...(filter.ids !== undefined ? { id: { in: filter.ids, ...(filter.beforeId !== undefined ? { lt: filter.beforeId } : {}) } } : {}),
    },
    // Ids are jit_<ulid>: descending id is newest first and a stable keyset.
    orderBy: { id: 'desc' },
    take: limit,
  });
  return rows.map(toAccessRequest);
}

/** A PENDING review whose last reminder (or, before the first, the break-glass itself) is at or before `dueBefore`. */
function reviewDue(dueBefore: Date): Prisma.RequestWhereInput {
  return { reviewStatus: 'PENDING', OR: [{ reviewRemindedAt: { lte: dueBefore } }, { reviewRemindedAt: null, createdAt: { lte: dueBefore } }] };
}

export async function listReviewsDue(db: Reader, dueBefore: Date, limit: number): Promise<AccessRequest[]> {
  const rows = await db.request.findMany({ where: reviewDue(dueBefore), orderBy: { id: 'asc' }, take: limit });
  return rows.map(toAccessRequest);
}

export async function listDecisions(db: Reader, requestId: string): Promise<Decision[]> {
  const rows = await db.decision.findMany({ where: { requestId }, orderBy: [{ at: 'asc' }, { id: 'asc' }] });
  return rows.map(toDecision);
}

export function countAutoApprovals(db: Reader, requesterId: string, since: Date): Promise<number> {
  return db.request.count({ where: { requesterId, autoApproved: true, createdAt: { gte: since } } });
}

export function countDenials(db: Reader, requesterId: string, since: Date): Promise<number> {
  return db.request.count({ where: { requesterId, status: 'DENIED', decidedAt: { gte: since } } });
}

/** Statuses an offboarding must still act on: cancel the pending, revoke the granted. */
export const OPEN_STATUSES = ['PENDING', 'APPROVED', 'ACTIVE'] as const satisfies readonly RequestStatus[];

export async function listOpenRequestsOf(db: Reader, requesterIds: string[]): Promise<AccessRequest[]> {
  if (requesterIds.length === 0) return [];
  const rows = await db.request.findMany({
    where: { requesterId: { in: requesterIds }, status: { in: [...OPEN_STATUSES] } },
    orderBy: { id: 'asc' },
  });
  return rows.map(toAccessRequest);
}
