/**
 * Checks a person's second factor for step-up (issue 12): a TOTP code from the authenticator they enrolled with
 * `stint mfa enroll`, or, where an OIDC issuer is configured, a re-login at the identity provider through a link
 * (a challenge confirmed by the callback, used once by the action it was made for, within minutes). A code works
 * once (its step is recorded); five wrong codes lock the factor for 15 minutes; every failure is audited. With
 * neither STINT_SECRET_KEY (no secret box) nor an OIDC issuer, step-up cannot work: UNAVAILABLE, fail closed.
 */
import { randomBytes } from 'node:crypto';
import { StintError } from '../domain/errors.ts';
import type { CorePorts } from './ports.ts';
import { matchTotp } from './totp.ts';

export const MAX_TOTP_FAILURES = 5;
export const TOTP_LOCK_MS = 15 * 60_000;
/** How long a re-login link can be opened. */
export const RELOGIN_LINK_MS = 10 * 60_000;
/** How long after the re-login its confirmation may be used by the action. */
export const RELOGIN_VALID_MS = 5 * 60_000;

export type StepUpMethod = 'totp' | 'oidc';

export interface StepUpCheck {
  /** The person whose factor is asked (the requester, or the approver). */
  principalId: string;
  /** As typed; absent when the surface has not asked yet. */
  code: string | null | undefined;
  /** What the factor unlocks, e.g. "request on prod-db" or "approval of jit_…": shown, audited, and what a re-login is bound to. */
  purpose: string;
  /** Why the policy asks (shown with STEP_UP_REQUIRED). */
  why: string;
  requestId?: string | null;
}

/**
 * Resolves when the code is good (and uses it up), or when a confirmed re-login for this purpose is there (and uses
 * it up); throws STEP_UP_REQUIRED (with `details.url` where a re-login can satisfy it) / STEP_UP_FAILED /
 * RATE_LIMITED / UNAVAILABLE.
 */
export async function verifyStepUp(check: StepUpCheck, ports: Pick<CorePorts, 'mfa' | 'clock'>): Promise<{ method: StepUpMethod }> {
  const mfa = ports.mfa;
  const reLogin = mfa?.reLogin ?? null;
  if (!mfa || (!mfa.box && !reLogin)) {
    throw new StintError('UNAVAILABLE', `${check.why}, but second factors are off on this server (neither STINT_SECRET_KEY nor STINT_OIDC_ISSUER is set): ask an admin`);
  }
  const now = ports.clock.now();
  const typed = check.code !== undefined && check.code !== null && check.code.trim() !== '';
  if (!typed && reLogin && (await mfa.store.useStepUpChallenge(check.principalId, check.purpose, new Date(now.getTime() - RELOGIN_VALID_MS), now))) {
    return { method: 'oidc' };
  }
  const factor = mfa.box ? await mfa.store.getTotpFactor(check.principalId) : null;
  const enrolled = Boolean(factor?.confirmedAt);
  if (reLogin && (!typed || !enrolled)) {
    const challenge = await mfa.store.openStepUpChallenge(
      { id: randomBytes(18).toString('base64url'), principalId: check.principalId, purpose: check.purpose, createdAt: now, expiresAt: new Date(now.getTime() + RELOGIN_LINK_MS), confirmedAt: null, authTime: null, usedAt: null },
      now,
    );
    const url = reLogin.linkFor(challenge.id);
    const ask = typed
      ? `codes from an authenticator do not work for you here (none enrolled): sign in again at ${url}, then try again without the code`
      : `${enrolled ? 'give the 6-digit code from your authenticator app (field mfaCode, or --mfa-code), or ' : ''}sign in again at ${url}, then try again`;
    throw new StintError('STEP_UP_REQUIRED', `${check.why}: ${ask}`, {
      enrolled,
      methods: enrolled ? ['totp', 'oidc'] : ['oidc'],
      url,
      challengeId: challenge.id,
      expiresAt: challenge.expiresAt.toISOString(),
    });
  }
  if (!factor?.confirmedAt) {
    throw new StintError('STEP_UP_REQUIRED', `${check.why}: enroll an authenticator app first with \`stint mfa enroll\`, then try again`, {
      enrolled: false,
      method: 'totp',
    });
  }
  if (!typed) {
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
    secret = mfa.box!.open(factor.sealedSecret);
  } catch {
    throw new StintError('UNAVAILABLE', 'Your second factor cannot be read with this server\'s STINT_SECRET_KEY (was the key changed?): ask an admin to reset it (stint mfa reset)');
  }
  const step = matchTotp(secret, check.code!, now);
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
