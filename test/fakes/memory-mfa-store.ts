/** In-memory MfaStore for use-case tests: the same conditional rules as store/mfa-store.ts, audit events kept. */
import type { AuditInput, MfaStore, TotpFactorRecord } from '../../src/core/ports.ts';

export class MemoryMfaStore implements MfaStore {
  readonly factors = new Map<string, TotpFactorRecord>();
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
}
