/** The latest device posture an MDM reported per person (issue 12); a report and its audit event commit together. */
import type { AuditInput, DevicePostureRecord } from '../core/ports.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { appendAuditIn } from './audit-store.ts';
import type { RunTransaction } from './transaction.ts';

export async function getDevicePosture(db: PrismaClient, personId: string): Promise<DevicePostureRecord | null> {
  const row = await db.devicePosture.findUnique({ where: { personId } });
  return row ? { personId: row.personId, compliant: row.compliant, deviceId: row.deviceId, source: row.source, reportedAt: row.reportedAt } : null;
}

export function saveDevicePosture(run: RunTransaction, record: DevicePostureRecord, audit: AuditInput): Promise<void> {
  return run(async (tx) => {
    const { personId, ...rest } = record;
    await tx.devicePosture.upsert({ where: { personId }, create: record, update: rest });
    await appendAuditIn(tx, audit);
  });
}
