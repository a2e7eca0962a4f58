/** Recordings of gateway sessions (issue 8); a recording and its `session.recorded` audit event commit together. */
import type { AuditInput, AuditRecord } from '../core/ports.ts';
import type { SessionRecordingRecord } from '../core/session-ports.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { appendAuditIn } from './audit-store.ts';
import type { RunTransaction } from './transaction.ts';

export function saveSessionRecording(run: RunTransaction, recording: SessionRecordingRecord, audit: AuditInput): Promise<void> {
  return run(async (tx) => {
    await tx.sessionRecording.create({ data: recording, select: { id: true } });
    await appendAuditIn(tx, audit);
  });
}

export async function latestSessionRecording(db: PrismaClient, requestId: string): Promise<SessionRecordingRecord | null> {
  return db.sessionRecording.findFirst({ where: { requestId }, orderBy: { startedAt: 'desc' } });
}

export async function sessionRecordedEvent(db: PrismaClient, requestId: string, recordingId: string): Promise<AuditRecord | null> {
  const rows = await db.auditEvent.findMany({ where: { requestId, action: 'session.recorded' }, orderBy: { seq: 'desc' }, take: 50 });
  const row = rows.find((r) => (r.data as Record<string, unknown> | null)?.recordingId === recordingId);
  return row ? { seq: row.seq, at: row.at, actor: row.actor, action: row.action, requestId: row.requestId, data: row.data as Record<string, unknown>, prevHash: row.prevHash, hash: row.hash } : null;
}
