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

/**
 * A step-up by OIDC re-login: the link a person opens to sign in again. Confirmed by the callback when the ID token
 * names this person and an authentication after `createdAt`; used once by the action named by `purpose`.
 */
export interface StepUpChallengeRecord {
  id: string;
  principalId: string;
  /** What it unlocks, as verifyStepUp names it ("request on prod-db", "approval of jit_…"). */
  purpose: string;
  createdAt: Date;
  expiresAt: Date;
  confirmedAt: Date | null;
  /** The identity provider's `auth_time` of the re-login. */
  authTime: Date | null;
  usedAt: Date | null;
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
  /** The person's open (unconfirmed, unexpired) challenge for this purpose, else `fresh` stored as given. */
  openStepUpChallenge(fresh: StepUpChallengeRecord, at: Date): Promise<StepUpChallengeRecord>;
  getStepUpChallenge(id: string): Promise<StepUpChallengeRecord | null>;
  /** Unconfirmed and unexpired at `at` → confirmed, with its audit event; false otherwise (a replayed callback). */
  confirmStepUpChallenge(id: string, authTime: Date, at: Date, audit: AuditInput): Promise<boolean>;
  /**
   * Uses one confirmed, unused challenge of this person for this purpose confirmed at or after `confirmedSince`
   * (conditional: two actions racing cannot both use it). Returns it, or null when there is none.
   */
  useStepUpChallenge(principalId: string, purpose: string, confirmedSince: Date, at: Date): Promise<StepUpChallengeRecord | null>;
}

/** OIDC re-login as a step-up method: configured (STINT_OIDC_ISSUER) when present. */
export interface ReLoginPort {
  /** The link a person opens in a browser to sign in again for this challenge. */
  linkFor(challengeId: string): string;
}
