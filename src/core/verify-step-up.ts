/**
 * Checks a person's second factor for step-up (issue 12): a TOTP code from the authenticator they enrolled with
 * `stint mfa enroll`. A code works once (its step is recorded); five wrong codes lock the factor for 15 minutes;
 * every failure is audited. Without STINT_SECRET_KEY (no secret box) step-up cannot work: UNAVAILABLE, fail closed.
 */
import { StintError } from '../domain/errors.ts';
import type { CorePorts } from './ports.ts';
import { matchTotp } from './totp.ts';

export const MAX_TOTP_FAILURES = 5;
export const TOTP_LOCK_MS = 15 * 60_000;

export interface StepUpCheck {
  /** The person whose factor is asked (the requester, or the approver). */
  principalId: string;
  /** As typed; absent when the surface has not asked yet. */
  code: string | null | undefined;
  /** For messages and audit: what the factor unlocks, e.g. "request on prod-db" or "approval of jit_…". */
  purpose: string;
  /** Why the policy asks (shown with STEP_UP_REQUIRED). */
  why: string;
  requestId?: string | null;
}

/** Resolves when the code is good (and uses it up); throws STEP_UP_REQUIRED / STEP_UP_FAILED / RATE_LIMITED / UNAVAILABLE. */
export async function verifyStepUp(check: StepUpCheck, ports: Pick<CorePorts, 'mfa' | 'clock'>): Promise<{ method: 'totp' }> {
  const mfa = ports.mfa;
  if (!mfa?.box) {
    throw new StintError('UNAVAILABLE', `${check.why}, but second factors are off on this server (STINT_SECRET_KEY is not set): ask an admin`);
  }
  const now = ports.clock.now();
  const factor = await mfa.store.getTotpFactor(check.principalId);
  if (!factor?.confirmedAt) {
    throw new StintError('STEP_UP_REQUIRED', `${check.why}: enroll an authenticator app first with \`stint mfa enroll\`, then try again`, {
      enrolled: false,
      method: 'totp',
    });
  }
  if (check.code === undefined || check.code === null || check.code.trim() === '') {
    throw new StintError('STEP_UP_REQUIRED', `${check.why}: give the 6-digit code from your authenticator app (field mfaCode, or --mfa-code)`, {
      enrolled: true,
      method: 'totp',
    });
  }
  if (factor.lockedUntil && factor.lockedUntil > now) {
    const retryAfterSec = Math.ceil((factor.lockedUntil.getTime() - now.getTime()) / 1000);
    throw new StintError('RATE_LIMITED', `Too many wrong codes: your second factor is locked for ${Math.ceil(retryAfterSec / 60)} more minute(s)`, { retryAfterSec });
  }
  let secret: Buffer;
  try {
    secret = mfa.box.open(factor.sealedSecret);
  } catch {
    throw new StintError('UNAVAILABLE', 'Your second factor cannot be read with this server\'s STINT_SECRET_KEY (was the key changed?): ask an admin to reset it (stint mfa reset)');
  }
  const step = matchTotp(secret, check.code, now);
  const audit = { actor: check.principalId, requestId: check.requestId ?? null, at: now };
  if (step !== null && (await mfa.store.useTotpStep(check.principalId, step, now, null))) return { method: 'totp' };

  const locking = factor.failures + 1 >= MAX_TOTP_FAILURES;
  await mfa.store.recordTotpFailure(check.principalId, locking ? new Date(now.getTime() + TOTP_LOCK_MS) : null, {
    ...audit,
    action: 'mfa.failed',
    data: { purpose: check.purpose, replayed: step !== null, locked: locking },
  });
  throw new StintError(
    'STEP_UP_FAILED',
    step !== null ? 'That code was already used: wait for the next one (they change every 30 seconds) and try again' : 'That code is not valid: check your authenticator app\'s clock and type the current code',
  );
}
