/**
 * Enrolment of a TOTP second factor (issue 12, `stint mfa enroll`): start makes a fresh seed, sealed at rest, and
 * shows it once (otpauth URI for a QR code, and base32 to type); confirm takes a first code, which proves the app
 * has it, and only then does the factor count. An admin resets a factor (a lost phone). Every step is audited.
 */
import { randomBytes } from 'node:crypto';
import { StintError } from '../domain/errors.ts';
import { actsAsAdmin, type Actor } from './actor.ts';
import type { CorePorts } from './ports.ts';
import { base32Encode, matchTotp, otpauthUri } from './totp.ts';

type MfaPorts = Pick<CorePorts, 'mfa' | 'clock' | 'policy'>;

function secretBoxOf(ports: MfaPorts) {
  if (!ports.mfa?.box) throw new StintError('UNAVAILABLE', 'Second factors are off on this server: an admin sets STINT_SECRET_KEY (openssl rand -base64 32) to turn them on');
  return { store: ports.mfa.store, box: ports.mfa.box };
}

function requirePerson(actor: Actor): void {
  if (actor.kind !== 'person') throw new StintError('FORBIDDEN', 'Only people enroll a second factor (service accounts and the bootstrap token have none)');
}

export async function startTotpEnrollment(actor: Actor, ports: MfaPorts): Promise<{ secret: string; uri: string }> {
  requirePerson(actor);
  const { store, box } = secretBoxOf(ports);
  const seed = randomBytes(20);
  const now = ports.clock.now();
  const started = await store.startTotpFactor(actor.id, box.seal(seed), now, { actor: actor.id, action: 'mfa.enrolment_started', requestId: null, data: { method: 'totp' }, at: now });
  if (!started) {
    throw new StintError('ALREADY_DECIDED', 'You already have a second factor; to replace it (a lost phone), ask an admin to run `stint mfa reset` for you');
  }
  return { secret: base32Encode(seed), uri: otpauthUri(actor.id, seed) };
}

export async function confirmTotpEnrollment(actor: Actor, code: string, ports: MfaPorts): Promise<{ enrolled: true }> {
  requirePerson(actor);
  const { store, box } = secretBoxOf(ports);
  const factor = await store.getTotpFactor(actor.id);
  if (!factor) throw new StintError('NOT_FOUND', 'No enrolment to confirm: start one with `stint mfa enroll`');
  if (factor.confirmedAt) return { enrolled: true };
  const now = ports.clock.now();
  const step = matchTotp(box.open(factor.sealedSecret), code, now);
  const audit = { actor: actor.id, action: 'mfa.enrolled', requestId: null, data: { method: 'totp' }, at: now };
  if (step === null || !(await store.useTotpStep(actor.id, step, now, audit))) {
    throw new StintError('STEP_UP_FAILED', 'That code does not match: type the 6-digit code your app shows now for Stint (check the phone\'s clock)');
  }
  return { enrolled: true };
}

export async function resetTotp(actor: Actor, principalId: string, ports: MfaPorts): Promise<{ removed: boolean }> {
  if (!actsAsAdmin(ports.policy.current(), actor)) throw new StintError('FORBIDDEN', 'Only an admin resets someone\'s second factor');
  const { store } = secretBoxOf(ports);
  const now = ports.clock.now();
  const removed = await store.deleteTotpFactor(principalId, { actor: actor.id, action: 'mfa.reset', requestId: null, data: { principalId }, at: now });
  return { removed };
}
