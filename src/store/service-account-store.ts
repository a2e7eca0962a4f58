/**
 * Service-account rows (synced from the policy by person-store.ts): their suspension by a guardrail or an admin
 * (issue 10). Setting or lifting it writes its audit events in the same transaction (invariant 4).
 */
import type { AuditInput, ServiceAccountRecord } from '../core/ports.ts';
import type { PrismaClient, ServiceAccount as ServiceAccountRow } from '../generated/prisma/client.ts';
import { appendAuditIn } from './audit-store.ts';
import type { RunTransaction } from './transaction.ts';

function toRecord(row: ServiceAccountRow): ServiceAccountRecord {
  return { id: row.id, ownerId: row.ownerId, suspended: row.suspended, suspendedAt: row.suspendedAt, suspendedReason: row.suspendedReason };
}

export async function getServiceAccount(db: PrismaClient, id: string): Promise<ServiceAccountRecord | null> {
  const row = await db.serviceAccount.findUnique({ where: { id } });
  return row ? toRecord(row) : null;
}

export async function listServiceAccounts(db: PrismaClient): Promise<ServiceAccountRecord[]> {
  return (await db.serviceAccount.findMany({ orderBy: { id: 'asc' } })).map(toRecord);
}

export function setSuspension(
  run: RunTransaction,
  id: string,
  ownerId: string,
  suspension: { at: Date; reason: string } | null,
  audit: AuditInput[],
): Promise<ServiceAccountRecord> {
  return run(async (tx) => {
    const state = suspension
      ? { suspended: true, suspendedAt: suspension.at, suspendedReason: suspension.reason }
      : { suspended: false, suspendedAt: null, suspendedReason: null };
    const at = suspension?.at ?? audit[0]?.at ?? new Date();
    const row = await tx.serviceAccount.upsert({
      where: { id },
      create: { id, ownerId, ...state, createdAt: at, updatedAt: at },
      update: { ...state, updatedAt: at },
    });
    for (const event of audit) await appendAuditIn(tx, event);
    return toRecord(row);
  });
}
