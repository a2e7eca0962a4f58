/**
 * Step-up by OIDC re-login (issue 12): the callback of the link verifyStepUp handed out has an ID token (its
 * signature, issuer, audience, nonce and PKCE already checked by the adapter); this decides whether it confirms the
 * challenge. It must name the person the link was made for, and say they authenticated after the link was made (the
 * identity provider really asked again: `prompt=login`). Confirmed, the challenge is good for one use by the action
 * it names, within minutes. Every refusal is audited like a wrong TOTP code (`mfa.failed`).
 */
import { StintError } from '../domain/errors.ts';
import type { CorePorts, StepUpChallengeRecord } from './ports.ts';
import { RELOGIN_VALID_MS } from './verify-step-up.ts';

/** The identity providers' and our clocks may differ this much. */
export const AUTH_TIME_SKEW_MS = 60_000;

/** What the ID token said, as the adapter read it. */
export interface ReLoginIdentity {
  /** The claim configured to name people (STINT_OIDC_CLAIM, default `email`) and its value, if the token had it. */
  claim: string;
  value: string | null;
  /** `auth_time`: when the person last authenticated at the identity provider. */
  authTime: Date | null;
}

type Ports = Pick<CorePorts, 'mfa' | 'clock' | 'policy' | 'store'>;

export interface ReLoginOutcome {
  challenge: StepUpChallengeRecord;
  /** How long the action has to use it. */
  usableUntil: Date;
  /** The callback ran before (a reload): nothing changed. */
  already: boolean;
}

/** Whether `id` has the shape of a challenge id (base64url, as verifyStepUp makes them): anything else is not looked up. */
export function isChallengeId(id: string): boolean {
  return /^[A-Za-z0-9_-]{16,64}$/.test(id);
}

/** The challenge behind a re-login link, while it can still be opened. */
export async function openReLoginChallenge(challengeId: string, ports: Pick<CorePorts, 'mfa' | 'clock'>): Promise<StepUpChallengeRecord> {
  const store = ports.mfa?.store;
  const challenge = store && isChallengeId(challengeId) ? await store.getStepUpChallenge(challengeId) : null;
  if (!challenge) throw new StintError('NOT_FOUND', 'This sign-in link is not known here: run the command again for a new link');
  if (challenge.usedAt) throw new StintError('ALREADY_DECIDED', `This sign-in was already used for the ${challenge.purpose}: run the command again for a new link`);
  if (!challenge.confirmedAt && challenge.expiresAt <= ports.clock.now()) {
    throw new StintError('NOT_PENDING', 'This sign-in link has expired (links work for 10 minutes): run the command again for a new one');
  }
  return challenge;
}

export async function confirmReLogin(challengeId: string, identity: ReLoginIdentity, ports: Ports): Promise<ReLoginOutcome> {
  const challenge = await openReLoginChallenge(challengeId, ports);
  const store = ports.mfa!.store;
  const usableUntil = (confirmedAt: Date) => new Date(confirmedAt.getTime() + RELOGIN_VALID_MS);
  if (challenge.confirmedAt) return { challenge, usableUntil: usableUntil(challenge.confirmedAt), already: true };

  const now = ports.clock.now();
  const refuse = async (reason: string, message: string, extra: Record<string, unknown> = {}): Promise<never> => {
    await ports.store.transaction(async (tx) => tx.appendAudit({ actor: challenge.principalId, action: 'mfa.failed', requestId: null, at: now, data: { method: 'oidc', purpose: challenge.purpose, reason, ...extra } }));
    throw new StintError('STEP_UP_FAILED', message);
  };
  const person = ports.policy.current().people.get(challenge.principalId);
  const named = identity.value?.trim().toLowerCase() ?? '';
  if (!person || (named !== person.email.toLowerCase() && named !== person.id.toLowerCase())) {
    await refuse(
      'other identity',
      identity.value
        ? `You signed in as ${identity.value}, but this link is for ${person?.email ?? challenge.principalId}: sign in as that person, or run the command again yourself for your own link`
        : `The identity provider's answer has no ${identity.claim} claim to tell who signed in: ask an admin to release it to Stint (or set STINT_OIDC_CLAIM)`,
      { signedInAs: identity.value },
    );
  }
  if (!identity.authTime) {
    await refuse('no auth_time', 'The identity provider did not say when you signed in (no auth_time in the ID token), so a fresh sign-in cannot be shown: ask an admin');
  } else if (identity.authTime.getTime() < challenge.createdAt.getTime() - AUTH_TIME_SKEW_MS) {
    await refuse(
      'stale sign-in',
      `The identity provider did not ask you to sign in again (it reused your sign-in from ${identity.authTime.toISOString()}): open the link again and sign in; if it keeps happening, ask an admin (the provider must honour prompt=login)`,
      { authTime: identity.authTime.toISOString() },
    );
  }
  const authTime = identity.authTime!;
  const confirmed = await store.confirmStepUpChallenge(challenge.id, authTime, now, {
    actor: challenge.principalId,
    action: 'mfa.reauthenticated',
    requestId: null,
    at: now,
    data: { method: 'oidc', purpose: challenge.purpose, authTime: authTime.toISOString() },
  });
  if (!confirmed) {
    // A second tab finished first (then it is confirmed), or the link expired meanwhile.
    const again = await openReLoginChallenge(challengeId, ports);
    if (!again.confirmedAt) throw new StintError('NOT_PENDING', 'This sign-in link has expired (links work for 10 minutes): run the command again for a new one');
    return { challenge: again, usableUntil: usableUntil(again.confirmedAt), already: true };
  }
  return { challenge: { ...challenge, confirmedAt: now, authTime }, usableUntil: usableUntil(now), already: false };
}

/** The state of a re-login link, for the person it was made for (the CLI waits on it). */
export async function reLoginStatus(
  principalId: string,
  challengeId: string,
  ports: Pick<CorePorts, 'mfa' | 'clock'>,
): Promise<{ id: string; purpose: string; status: 'waiting' | 'confirmed' | 'used' | 'expired'; expiresAt: string }> {
  const challenge = isChallengeId(challengeId) ? await ports.mfa?.store.getStepUpChallenge(challengeId) : null;
  // Someone else's link is not found: its existence is not theirs to learn.
  if (!challenge || challenge.principalId !== principalId) throw new StintError('NOT_FOUND', `No sign-in link ${challengeId} of yours`);
  const now = ports.clock.now();
  const status = challenge.usedAt
    ? 'used'
    : challenge.confirmedAt
      ? challenge.confirmedAt.getTime() + RELOGIN_VALID_MS > now.getTime()
        ? 'confirmed'
        : 'expired'
      : challenge.expiresAt > now
        ? 'waiting'
        : 'expired';
  return { id: challenge.id, purpose: challenge.purpose, status, expiresAt: challenge.expiresAt.toISOString() };
}
