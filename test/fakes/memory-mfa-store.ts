/** In-memory MfaStore for use-case tests: the same conditional rules as store/mfa-store.ts, audit events kept. */
import type { AuditInput, MfaStore, StepUpChallengeRecord, TotpFactorRecord } from '../../src/core/ports.ts';

export class MemoryMfaStore implements MfaStore {
  readonly factors = new Map<string, TotpFactorRecord>();
  readonly challenges = new Map<string, StepUpChallengeRecord>();
  readonly audit: AuditInput[] = [];

  async getTotpFactor(principalId: string): Promise<TotpFactorRecord | null> {
    const factor = this.factors.get(principalId);
    return factor ? { ...factor } : null;
  }

  async startTotpFactor(principalId: string, sealedSecret: string, at: Date, audit: AuditInput): Promise<boolean> {
    if (this.factors.get(principalId)?.confirmedAt) return false;
    this.factors.set(principalId, { principalId, sealedSecret, createdAt: at, confirmedAt: null, lastStep: null, failures: 0, lockedUntil: null });
    this.audit.push(audit);
    return true;
  }

  async useTotpStep(principalId: string, step: number, at: Date, audit: AuditInput | null): Promise<boolean> {
    const factor = this.factors.get(principalId);
    if (!factor || (factor.lastStep !== null && factor.lastStep >= step)) return false;
    Object.assign(factor, { lastStep: step, failures: 0, lockedUntil: null, confirmedAt: factor.confirmedAt ?? at });
    if (audit) this.audit.push(audit);
    return true;
  }

  async recordTotpFailure(principalId: string, lockUntil: Date | null, audit: AuditInput): Promise<number> {
    const factor = this.factors.get(principalId)!;
    factor.failures += 1;
    if (lockUntil) factor.lockedUntil = lockUntil;
    this.audit.push(audit);
    return factor.failures;
  }

  async deleteTotpFactor(principalId: string, audit: AuditInput): Promise<boolean> {
    const had = this.factors.delete(principalId);
    if (had) this.audit.push(audit);
    return had;
  }

  async openStepUpChallenge(fresh: StepUpChallengeRecord, at: Date): Promise<StepUpChallengeRecord> {
    const open = [...this.challenges.values()].find((c) => c.principalId === fresh.principalId && c.purpose === fresh.purpose && !c.confirmedAt && c.expiresAt > at);
    if (open) return { ...open };
    this.challenges.set(fresh.id, { ...fresh });
    return { ...fresh };
  }

  async getStepUpChallenge(id: string): Promise<StepUpChallengeRecord | null> {
    const challenge = this.challenges.get(id);
    return challenge ? { ...challenge } : null;
  }

  async confirmStepUpChallenge(id: string, authTime: Date, at: Date, audit: AuditInput): Promise<boolean> {
    const challenge = this.challenges.get(id);
    if (!challenge || challenge.confirmedAt || challenge.expiresAt <= at) return false;
    Object.assign(challenge, { confirmedAt: at, authTime });
    this.audit.push(audit);
    return true;
  }

  async useStepUpChallenge(principalId: string, purpose: string, confirmedSince: Date, at: Date): Promise<StepUpChallengeRecord | null> {
    const usable = [...this.challenges.values()].find((c) => c.principalId === principalId && c.purpose === purpose && !c.usedAt && c.confirmedAt && c.confirmedAt >= confirmedSince);
    if (!usable) return null;
    usable.usedAt = at;
    return { ...usable };
  }
}
