/** Step-up over REST (issue 12): enrol a TOTP authenticator, then the second factor gates requests and risky approvals. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base32Decode, totpCode, totpStep } from '../../src/core/totp.ts';
import { apiHarness, type ApiHarness } from '../support/api-harness.ts';
import { POLICY_YAML, testPolicy } from '../support/policy-fixture.ts';

const BASE = '/api/v1/credentials/jit';
const YAML = POLICY_YAML.replace('    approvalWindow: 30m\n', '    approvalWindow: 30m\n    stepUp: { requester: true, approvers: { riskAtLeast: 0 } }\n');
let h: ApiHarness;
const seeds = new Map<string, Buffer>();
const code = (who: string) => totpCode(seeds.get(who)!, totpStep(h.clock.now()));
const nextStep = () => h.clock.advance(30_000);

beforeAll(async () => {
  h = await apiHarness({ policy: testPolicy(YAML), people: ['alice', 'carol', 'dave', 'erin'], env: { STINT_SECRET_KEY: Buffer.alloc(32, 9).toString('base64') } });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function enroll(who: string): Promise<void> {
  const started = await h.call(who, 'POST', '/api/v1/mfa/totp');
  expect(started.status).toBe(201);
  expect(started.headers['cache-control']).toBe('no-store');
  seeds.set(who, base32Decode(started.body.secret));
  const confirmed = await h.call(who, 'POST', '/api/v1/mfa/totp/confirm', { code: code(who) });
  expect([confirmed.status, confirmed.body]).toEqual([200, { enrolled: true }]);
  nextStep();
}

describe('step-up over REST', () => {
  const create = { reason: 'INC-1 stuck orders', scopes: ['prod-orders-db'], duration: '1h' };

  it('refuses a request from someone not enrolled with STEP_UP_REQUIRED (403) saying to enroll', async () => {
    const res = await h.call('alice', 'POST', BASE, create);
    expect([res.status, res.body.error.code]).toEqual([403, 'STEP_UP_REQUIRED']);
    expect(res.body.error.message).toMatch(/stint mfa enroll/);
  });

  it('enrols with the seed shown once, then asks for and accepts a code on create; a wrong one is STEP_UP_FAILED', async () => {
    await enroll('alice');
    const asked = await h.call('alice', 'POST', BASE, create);
    expect([asked.status, asked.body.error.code, asked.body.error.details.enrolled]).toEqual([403, 'STEP_UP_REQUIRED', true]);
    const wrong = code('alice') === '000000' ? '111111' : '000000';
    const failed = await h.call('alice', 'POST', BASE, { ...create, mfaCode: wrong });
    expect([failed.status, failed.body.error.code]).toEqual([403, 'STEP_UP_FAILED']);
    const created = await h.call('alice', 'POST', BASE, { ...create, mfaCode: code('alice') });
    expect([created.status, created.body.status]).toEqual([201, 'PENDING']);
  });

  it('asks an approver of a risky request for their code before the approval counts', async () => {
    await enroll('carol');
    nextStep();
    const created = await h.call('alice', 'POST', BASE, { ...create, mfaCode: code('alice') });
    const asked = await h.call('carol', 'POST', `${BASE}/${created.body.id}/approve`, {});
    expect([asked.status, asked.body.error.code]).toEqual([403, 'STEP_UP_REQUIRED']);
    const approved = await h.call('carol', 'POST', `${BASE}/${created.body.id}/approve`, { mfaCode: code('carol') });
    expect(approved.status).toBe(200);
    expect(approved.body.approvers.find((a: { email: string }) => a.email === 'carol@example.com').status).toBe('approved');
  });

  it('lets only an admin reset a factor, after which the person enrols again', async () => {
    expect((await h.call('alice', 'POST', '/api/v1/mfa/totp')).body.error.code).toBe('ALREADY_DECIDED');
    expect((await h.call('alice', 'DELETE', '/api/v1/mfa/totp/carol')).status).toBe(403);
    expect((await h.call('erin', 'DELETE', '/api/v1/mfa/totp/alice')).body).toEqual({ removed: true });
    expect((await h.call('alice', 'POST', '/api/v1/mfa/totp')).status).toBe(201);
  });

  it('audits enrolment, failures and resets without the seed', async () => {
    const events = await h.app.store.readAudit(0n, 1000);
    const actions = events.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['mfa.enrolment_started', 'mfa.enrolled', 'mfa.failed', 'mfa.reset']));
    const text = JSON.stringify(events.map((e) => e.data));
    for (const seed of seeds.values()) expect(text).not.toContain(seed.toString('hex'));
  });
});
