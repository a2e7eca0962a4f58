/** Second factors (issue 12): each change and its audit event in one transaction; a step is used at most once. */
import type { AuditInput, StepUpChallengeRecord, TotpFactorRecord } from '../core/ports.ts';
import type { PrismaClient } from '../generated/prisma/client.ts';
import { appendAuditIn } from './audit-store.ts';
import type { RunTransaction } from './transaction.ts';

const TOTP = 'totp';

export async function getTotpFactor(db: PrismaClient, principalId: string): Promise<TotpFactorRecord | null> {
  const row = await db.mfaFactor.findUnique({ where: { principalId_kind: { principalId, kind: TOTP } } });
  if (!row) return null;
  return {
    principalId: row.principalId,
    sealedSecret: row.sealedSecret,
    createdAt: row.createdAt,
    confirmedAt: row.confirmedAt,
    lastStep: row.lastStep === null ? null : Number(row.lastStep),
    failures: row.failures,
    lockedUntil: row.lockedUntil,
  };
}

export function startTotpFactor(run: RunTransaction, principalId: string, sealedSecret: string, at: Date, audit: AuditInput): Promise<boolean> {
  return run(async (tx) => {
    const fresh = { sealedSecret, createdAt: at, confirmedAt: null, lastStep: null, failures: 0, lockedUntil: null };
    // Only an unconfirmed factor may be replaced: a confirmed one is reset by an admin (deleteTotpFactor).
    const { count } = await tx.mfaFactor.updateMany({ where: { principalId, kind: TOTP, confirmedAt: null }, data: fresh });
    if (count === 0) {
      const existing = await tx.mfaFactor.findUnique({ where: { principalId_kind: { principalId, kind: TOTP } } });
      if (existing) return false;
      await tx.mfaFactor.create({ data: { principalId, kind: TOTP, ...fresh } });
    }
    await appendAuditIn(tx, audit);
    return true;
  });
}

export function useTotpStep(run: RunTransaction, principalId: string, step: number, at: Date, audit: AuditInput | null): Promise<boolean> {
  return run(async (tx) => {
    // Conditional: two requests racing with the same code cannot both pass.
    const { count } = await tx.mfaFactor.updateMany({
      where: { principalId, kind: TOTP, OR: [{ lastStep: null }, { lastStep: { lt: BigInt(step) } }] },
      data: { lastStep: BigInt(step), failures: 0, lockedUntil: null },
    });
    if (count === 0) return false;
    await tx.mfaFactor.updateMany({ where: { principalId, kind: TOTP, confirmedAt: null }, data: { confirmedAt: at } });
    if (audit) await appendAuditIn(tx, audit);
    return true;
  });
}

export function recordTotpFailure(run: RunTransaction, principalId: string, lockUntil: Date | null, audit: AuditInput): Promise<number> {
  return run(async (tx) => {
    const row = await tx.mfaFactor.update({
      where: { principalId_kind: { principalId, kind: TOTP } },
      data: { failures: { increment: 1 }, ...(lockUntil && { lockedUntil: lockUntil }) },
    });
    await appendAuditIn(tx, audit);
    return row.failures;
  });
}

export function deleteTotpFactor(run: RunTransaction, principalId: string, audit: AuditInput): Promise<boolean> {
  return run(async (tx) => {
    const { count } = await tx.mfaFactor.deleteMany({ where: { principalId, kind: TOTP } });
    if (count > 0) await appendAuditIn(tx, audit);
    return count > 0;
  });
}

/** How long a challenge row outlives its link: its status stays readable meanwhile; the audit log keeps the rest. */
export const STEP_UP_RETENTION_MS = 24 * 60 * 60_000;

export async function openStepUpChallenge(db: PrismaClient, fresh: StepUpChallengeRecord, at: Date): Promise<StepUpChallengeRecord> {
  // Opening a link is rare (a person asked to sign in again), so it also clears what expired a day ago: the
  // table holds about a day of links without a sweep of its own.
  await db.stepUpChallenge.deleteMany({ where: { expiresAt: { lt: new Date(at.getTime() - STEP_UP_RETENTION_MS) } } });
  // One open link per person and purpose: asking again (a retried command) hands out the same link.
  const open = await db.stepUpChallenge.findFirst({
    where: { principalId: fresh.principalId, purpose: fresh.purpose, confirmedAt: null, expiresAt: { gt: at } },
    orderBy: { createdAt: 'desc' },
  });
  return open ?? db.stepUpChallenge.create({ data: fresh });
}

export function getStepUpChallenge(db: PrismaClient, id: string): Promise<StepUpChallengeRecord | null> {
  return db.stepUpChallenge.findUnique({ where: { id } });
}

export function confirmStepUpChallenge(run: RunTransaction, id: string, authTime: Date, at: Date, audit: AuditInput): Promise<boolean> {
  return run(async (tx) => {
    const { count } = await tx.stepUpChallenge.updateMany({ where: { id, confirmedAt: null, expiresAt: { gt: at } }, data: { confirmedAt: at, authTime } });
    if (count === 0) return false;
    await appendAuditIn(tx, audit);
    return true;
  });
}

export async function useStepUpChallenge(db: PrismaClient, principalId: string, purpose: string, confirmedSince: Date, at: Date): Promise<StepUpChallengeRecord | null> {
  const candidate = await db.stepUpChallenge.findFirst({
    where: { principalId, purpose, usedAt: null, confirmedAt: { gte: confirmedSince } },
    orderBy: { confirmedAt: 'desc' },
  });
  if (!candidate) return null;
  // Conditional: of two actions racing for the same confirmation, one wins.
  const { count } = await db.stepUpChallenge.updateMany({ where: { id: candidate.id, usedAt: null }, data: { usedAt: at } });
  return count === 1 ? { ...candidate, usedAt: at } : null;
}
