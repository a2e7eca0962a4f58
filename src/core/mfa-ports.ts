/** Ports of second factors (issue 12, step-up): kept apart from ports.ts, which re-exports them. */
import type { AuditInput } from './ports.ts';

/** A person's TOTP factor as stored: the seed stays sealed (core/secret-box.ts) until a code is checked. */
export interface TotpFactorRecord {
  principalId: string;
  sealedSecret: string;
  createdAt: Date;
  /** Null until the person typed a first code (an enrolment not finished does not count as a factor). */
  confirmedAt: Date | null;
  /** The last 30-second step whose code was accepted: a code works once. */
  lastStep: number | null;
  failures: number;
  lockedUntil: Date | null;
}

export interface MfaStore {
  getTotpFactor(principalId: string): Promise<TotpFactorRecord | null>;
  /** Starts (or restarts) an enrolment; false when a confirmed factor exists (an admin resets it first). */
  startTotpFactor(principalId: string, sealedSecret: string, at: Date, audit: AuditInput): Promise<boolean>;
  /**
   * Accepts `step` for the factor: confirms it when unconfirmed and clears failures; false when this or a later
   * step was already used (a replayed code) or the factor changed meanwhile. The audit event commits with it.
   */
  useTotpStep(principalId: string, step: number, at: Date, audit: AuditInput | null): Promise<boolean>;
  /** Counts a wrong code; locks the factor until `lockUntil` when given. Returns the failures so far. */
  recordTotpFailure(principalId: string, lockUntil: Date | null, audit: AuditInput): Promise<number>;
  deleteTotpFactor(principalId: string, audit: AuditInput): Promise<boolean>;
}
