import { beforeEach, describe, expect, it } from 'vitest';
import { createRequest } from '../../src/core/create-request.ts';
import { confirmReLogin } from '../../src/core/confirm-re-login.ts';
import { decideRequest } from '../../src/core/decide-request.ts';
import { confirmTotpEnrollment, resetTotp, startTotpEnrollment } from '../../src/core/enroll-totp.ts';
import { createSecretBox } from '../../src/core/secret-box.ts';
import { base32Decode, totpCode, totpStep } from '../../src/core/totp.ts';
import { StintError } from '../../src/domain/errors.ts';
import { PolicyHolder } from '../../src/policy/policy-holder.ts';
import { MemoryMfaStore } from '../fakes/memory-mfa-store.ts';
import { coreHarness, person, service } from '../support/core-harness.ts';
import { POLICY_YAML, testPolicy } from '../support/policy-fixture.ts';

// two-dba asks every requester; one-sre asks only off-hours (CEL); approvers of two-dba from risk 0.
const YAML = POLICY_YAML.replace(
  '    approvalWindow: 30m\n',
  '    approvalWindow: 30m\n    stepUp: { requester: true, approvers: { riskAtLeast: 0 } }\n',
).replace('  one-sre:\n    eligible: [group:sre, group:dba]\n', '  one-sre:\n    eligible: [group:sre, group:dba]\n    stepUp: { requester: "request.hour >= 22" }\n');

async function refusal(promise: Promise<unknown>): Promise<StintError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(StintError);
  return err as StintError;
}

describe('step-up with a TOTP second factor', () => {
  let h: ReturnType<typeof coreHarness>;
  let mfa: MemoryMfaStore;
  const box = createSecretBox(Buffer.alloc(32, 3));
  const seeds = new Map<string, Buffer>();
  const code = (who: string, stepDelta = 0) => totpCode(seeds.get(who)!, totpStep(h.clock.now()) + stepDelta);

  async function enroll(who: string): Promise<void> {
    const { secret } = await startTotpEnrollment(person(who), h.ports);
    seeds.set(who, base32Decode(secret));
    await confirmTotpEnrollment(person(who), code(who), h.ports);
    h.clock.advance(30_000); // the confirming code is used up; the tests type the next one
  }

  beforeEach(() => {
    h = coreHarness(YAML);
    mfa = new MemoryMfaStore();
    h.ports.mfa = { store: mfa, box };
    h.policy = new PolicyHolder(testPolicy(YAML));
    h.ports.policy = h.policy;
    h.clock.set(new Date('2026-12-02T10:00:00Z'));
  });

  const base = { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-1 stuck orders' };

  it('stores the seed sealed, shows it once as otpauth URI and base32, and counts it only after a first code', async () => {
    const started = await startTotpEnrollment(person('alice'), h.ports);
    expect(started.uri).toMatch(/^otpauth:\/\/totp\/Stint%3Aalice\?secret=/);
    expect(mfa.factors.get('alice')!.sealedSecret).not.toContain(started.secret);
    expect(mfa.factors.get('alice')!.confirmedAt).toBeNull();
    seeds.set('alice', base32Decode(started.secret));
    expect((await refusal(confirmTotpEnrollment(person('alice'), '000000' === code('alice') ? '111111' : '000000', h.ports))).code).toBe('STEP_UP_FAILED');
    await confirmTotpEnrollment(person('alice'), code('alice'), h.ports);
    expect(mfa.factors.get('alice')!.confirmedAt).not.toBeNull();
    expect(mfa.audit.map((e) => e.action)).toEqual(['mfa.enrolment_started', 'mfa.enrolled']);
  });

  it('refuses a second enrolment over a confirmed factor until an admin resets it', async () => {
    await enroll('alice');
    expect((await refusal(startTotpEnrollment(person('alice'), h.ports))).message).toMatch(/stint mfa reset/);
    expect((await refusal(resetTotp(person('alice'), 'alice', h.ports))).code).toBe('FORBIDDEN');
    expect(await resetTotp(person('erin'), 'alice', h.ports)).toEqual({ removed: true });
    await startTotpEnrollment(person('alice'), h.ports);
  });

  it('refuses a request that needs step-up from someone not enrolled, saying how to enroll, and creates nothing', async () => {
    const err = await refusal(createRequest(person('alice'), base, h.ports));
    expect(err.code).toBe('STEP_UP_REQUIRED');
    expect(err.message).toMatch(/stint mfa enroll/);
    expect(await h.store.listRequests({})).toEqual([]);
  });

  it('asks an enrolled requester for the code, then creates the request with it and audits the method', async () => {
    await enroll('alice');
    const asked = await refusal(createRequest(person('alice'), base, h.ports));
    expect([asked.code, asked.details?.enrolled]).toEqual(['STEP_UP_REQUIRED', true]);
    const { request } = await createRequest(person('alice'), { ...base, mfaCode: code('alice') }, h.ports);
    expect(request.status).toBe('PENDING');
    expect(h.store.state.audit.find((e) => e.action === 'request.created')?.data.stepUp).toBe('totp');
  });

  it('refuses a wrong code and a replayed one, audits each failure, and locks after five', async () => {
    await enroll('alice');
    const good = code('alice');
    await createRequest(person('alice'), { ...base, mfaCode: good }, h.ports);
    const replay = await refusal(createRequest(person('alice'), { ...base, mfaCode: good }, h.ports));
    expect([replay.code, replay.message]).toEqual(['STEP_UP_FAILED', expect.stringMatching(/already used/)]);
    const wrong = ['000000', '111111', '222222', '333333', '444444'].filter((c) => ![-1, 0, 1].some((d) => code('alice', d) === c));
    for (const bad of wrong.slice(0, 4)) expect((await refusal(createRequest(person('alice'), { ...base, mfaCode: bad }, h.ports))).code).toBe('STEP_UP_FAILED');
    const locked = await refusal(createRequest(person('alice'), { ...base, mfaCode: code('alice', 1) }, h.ports));
    expect([locked.code, locked.details?.retryAfterSec]).toEqual(['RATE_LIMITED', 900]);
    expect(mfa.audit.filter((e) => e.action === 'mfa.failed')).toHaveLength(5);
    h.clock.advance(15 * 60_000);
    await createRequest(person('alice'), { ...base, mfaCode: code('alice') }, h.ports);
  });

  it('asks only when the workflow\'s CEL condition holds', async () => {
    const billing = { ...base, scopes: ['prod-billing-db'] };
    await createRequest(person('alice'), billing, h.ports);
    h.clock.set(new Date('2026-12-02T23:00:00Z'));
    expect((await refusal(createRequest(person('alice'), billing, h.ports))).code).toBe('STEP_UP_REQUIRED');
  });

  it('does not ask service accounts (they have no authenticator)', async () => {
    const yaml = YAML.replace('stepUp: { requester: "request.hour >= 22" }', 'stepUp: { requester: true }');
    h.ports.policy = new PolicyHolder(testPolicy(yaml));
    const { request } = await createRequest(service('svc-bot'), { identityId: 'svc-bot', scopes: ['prod-billing-db'], duration: '10m', reason: 'nightly job' }, h.ports);
    expect(request.status).toBe('PENDING');
  });

  it('asks an approver of a risky request for their code; a repeated approval does not ask again', async () => {
    await enroll('alice');
    await enroll('carol');
    const { request } = await createRequest(person('alice'), { ...base, mfaCode: code('alice') }, h.ports);
    expect((await refusal(decideRequest(person('carol'), { requestId: request.id, verdict: 'approve' }, h.ports))).code).toBe('STEP_UP_REQUIRED');
    const approved = await decideRequest(person('carol'), { requestId: request.id, verdict: 'approve', mfaCode: code('carol') }, h.ports);
    expect(approved.changed).toBe(true);
    expect(h.store.state.audit.find((e) => e.action === 'decision.approved')?.data.stepUp).toBe('totp');
    expect((await decideRequest(person('carol'), { requestId: request.id, verdict: 'approve' }, h.ports)).changed).toBe(false);
    // Denying never needs the factor.
    await decideRequest(person('dave'), { requestId: request.id, verdict: 'deny', comment: 'not now' }, h.ports);
  });

  it('fails closed when the server has no STINT_SECRET_KEY', async () => {
    h.ports.mfa = { store: mfa, box: null };
    const err = await refusal(createRequest(person('alice'), base, h.ports));
    expect([err.code, err.message]).toEqual(['UNAVAILABLE', expect.stringMatching(/STINT_SECRET_KEY/)]);
    expect((await refusal(startTotpEnrollment(person('alice'), h.ports))).code).toBe('UNAVAILABLE');
  });
});

describe('step-up by OIDC re-login', () => {
  let h: ReturnType<typeof coreHarness>;
  let mfa: MemoryMfaStore;
  const base = { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-1 stuck orders' };
  const reLogin = { linkFor: (id: string) => `https://stint.test/auth/step-up/${id}` };
  const identity = (value: string, authTime: Date) => ({ claim: 'email', value, authTime });

  beforeEach(() => {
    h = coreHarness(YAML);
    mfa = new MemoryMfaStore();
    h.ports.mfa = { store: mfa, box: null, reLogin };
    h.policy = new PolicyHolder(testPolicy(YAML));
    h.ports.policy = h.policy;
    h.clock.set(new Date('2026-12-02T10:00:00Z'));
  });

  async function linkOf(promise: Promise<unknown>): Promise<string> {
    const err = await refusal(promise);
    expect(err.code).toBe('STEP_UP_REQUIRED');
    return String(err.details?.challengeId);
  }

  it('works without STINT_SECRET_KEY, binds the confirmation to its purpose, and lets one of two racing actions use it', async () => {
    h.clock.set(new Date('2026-12-02T22:30:00Z')); // one-sre asks off-hours only
    const id = await linkOf(createRequest(person('alice'), base, h.ports));
    await confirmReLogin(id, identity('Alice@Example.com', h.clock.now()), h.ports);
    // A confirmation for a request on prod-orders-db does not unlock another resource's request.
    const other = { ...base, scopes: ['prod-billing-db'] };
    expect((await refusal(createRequest(person('alice'), other, h.ports))).code).toBe('STEP_UP_REQUIRED');
    const results = await Promise.allSettled([createRequest(person('alice'), base, h.ports), createRequest(person('alice'), base, h.ports)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('refuses to confirm for a sign-in before the link was made, or as another person, and audits both', async () => {
    const id = await linkOf(createRequest(person('alice'), base, h.ports));
    expect((await refusal(confirmReLogin(id, identity('alice@example.com', new Date(h.clock.now().getTime() - 5 * 60_000)), h.ports))).code).toBe('STEP_UP_FAILED');
    expect((await refusal(confirmReLogin(id, identity('bob@example.com', h.clock.now()), h.ports))).message).toMatch(/You signed in as bob@example.com, but this link is for alice@example.com/);
    const failed = h.store.state.audit.filter((e) => e.action === 'mfa.failed');
    expect(failed.map((e) => e.data.reason)).toEqual(['stale sign-in', 'other identity']);
    expect(mfa.challenges.get(id)!.confirmedAt).toBeNull();
  });

  it('does not confirm a link twice (a reloaded callback) and reports the first confirmation', async () => {
    const id = await linkOf(createRequest(person('alice'), base, h.ports));
    const first = await confirmReLogin(id, identity('alice@example.com', h.clock.now()), h.ports);
    const second = await confirmReLogin(id, identity('alice@example.com', h.clock.now()), h.ports);
    expect([first.already, second.already]).toEqual([false, true]);
    expect(mfa.audit.filter((e) => e.action === 'mfa.reauthenticated')).toHaveLength(1);
  });

  it('fails closed with neither a secret box nor an OIDC issuer', async () => {
    h.ports.mfa = { store: mfa, box: null, reLogin: null };
    const err = await refusal(createRequest(person('alice'), base, h.ports));
    expect([err.code, err.message]).toEqual(['UNAVAILABLE', expect.stringMatching(/STINT_SECRET_KEY nor STINT_OIDC_ISSUER/)]);
  });
});
