import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWebhookProvider } from '../../../src/providers/webhook/webhook-provider.ts';
import { SECRET, target, webhookRig, type WebhookRig } from './webhook-setup.ts';

describe('webhook provider against the fake receiver', () => {
  let rig: WebhookRig;
  beforeEach(async () => {
    rig = await webhookRig();
  });
  afterEach(async () => rig?.receiver.close());

  it('grants, checks present, revokes, checks absent', async () => {
    const t = target();
    const handle = await rig.provider.grant(rig.config(), t);
    expect(handle).toMatchObject({ requestId: t.requestId, resourceId: 'billing-app', account: 'alice@corp', preexisting: false, receiver: { grantId: 'g-1' } });
    expect(rig.receiver.holds('billing-app', 'alice@corp')).toBe(true);
    expect(await rig.provider.check(rig.config(), handle)).toBe('present');
    await rig.provider.revoke(rig.config(), handle, { stillNeeded: false });
    expect(rig.receiver.holds('billing-app', 'alice@corp')).toBe(false);
    expect(await rig.provider.check(rig.config(), handle)).toBe('absent');
    expect(rig.receiver.applied().map((c) => c.event)).toEqual(['grant', 'check', 'revoke', 'check']);
  });

  it('sends the documented headers and body', async () => {
    const t = target();
    await rig.provider.grant(rig.config(), t);
    const call = rig.receiver.calls[0]!;
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.headers['user-agent']).toBe('Stint/0.0.0-test');
    expect(call.headers['stint-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(call.idempotencyKey).toBe(`${t.requestId}:billing-app:grant`);
    expect(call.body).toEqual({
      event: 'grant',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      requestId: t.requestId,
      resourceId: 'billing-app',
      principalId: 'alice',
      account: 'alice@corp',
      expiresAt: t.expiresAt.toISOString(),
      sentAt: expect.any(String),
    });
  });

  it('names the version of this build in the User-Agent by default', async () => {
    const provider = createWebhookProvider({ env: rig.env });
    await provider.grant(rig.config(), target());
    expect(rig.receiver.calls[0]!.headers['user-agent']).toMatch(/^Stint\/\d+\.\d+\.\d+/);
  });

  it('echoes the receiver handle on later events (the fake refuses a mismatch)', async () => {
    const handle = await rig.provider.grant(rig.config(), target());
    await rig.provider.check(rig.config(), handle);
    expect(rig.receiver.calls.at(-1)!.body!.handle).toEqual({ grantId: 'g-1', system: 'fake' });
    await expect(rig.provider.revoke(rig.config(), { ...handle, receiver: { grantId: 'g-999' } }, { stillNeeded: false })).rejects.toThrow(/revoke answered 400.*handle does not match/);
  });

  it('gives the same handle and one grant on the receiver when the same target is granted twice', async () => {
    const t = target();
    const first = await rig.provider.grant(rig.config(), t);
    const second = await rig.provider.grant(rig.config(), t);
    expect(second).toEqual(first);
    expect(Object.keys(rig.receiver.grants())).toHaveLength(1);
    expect(rig.receiver.calls.map((c) => c.replayed)).toEqual([false, true]);
  });

  it('treats a second revoke as success', async () => {
    const handle = await rig.provider.grant(rig.config(), target());
    await rig.provider.revoke(rig.config(), handle, { stillNeeded: false });
    await expect(rig.provider.revoke(rig.config(), handle, { stillNeeded: false })).resolves.toBeUndefined();
    expect(rig.receiver.holds('billing-app', 'alice@corp')).toBe(false);
  });

  it('keeps access the person held before Stint: the grant is marked preexisting and revoke sends nothing', async () => {
    rig.receiver.seedPreexisting('billing-app', 'alice@corp');
    const handle = await rig.provider.grant(rig.config(), target());
    expect(handle.preexisting).toBe(true);
    await rig.provider.revoke(rig.config(), handle, { stillNeeded: false });
    expect(rig.receiver.calls.map((c) => c.event)).toEqual(['grant']);
    expect(rig.receiver.holds('billing-app', 'alice@corp')).toBe(true);
    expect(await rig.provider.check(rig.config(), handle)).toBe('present');
  });

  it('sends nothing on revoke while another active request still needs the access', async () => {
    const handle = await rig.provider.grant(rig.config(), target());
    await rig.provider.revoke(rig.config(), handle, { stillNeeded: true });
    expect(rig.receiver.calls.map((c) => c.event)).toEqual(['grant']);
    expect(rig.receiver.holds('billing-app', 'alice@corp')).toBe(true);
  });

  it('retries 503s with backoff, reusing the Idempotency-Key and the event id with a fresh signature', async () => {
    rig.receiver.failNext(2, { kind: 'status', status: 503 });
    const t = target();
    await rig.provider.grant(rig.config(), t);
    const calls = rig.receiver.calls;
    expect(calls.map((c) => c.status)).toEqual([503, 503, 200]);
    expect(new Set(calls.map((c) => c.idempotencyKey))).toEqual(new Set([`${t.requestId}:billing-app:grant`]));
    expect(new Set(calls.map((c) => c.body?.id)).size).toBe(1);
    expect(rig.sleeps).toHaveLength(2);
    expect(rig.sleeps[1]!).toBeGreaterThanOrEqual(rig.sleeps[0]!);
    expect(rig.receiver.holds('billing-app', 'alice@corp')).toBe(true);
  });

  it('honours a 429 Retry-After up to the cap', async () => {
    rig.receiver.failNext(1, { kind: 'status', status: 429, retryAfter: '3600' });
    await rig.provider.grant(rig.config(), target());
    expect(rig.sleeps).toEqual([50]); // asked for an hour, capped at retryMaxMs
    expect(rig.receiver.calls.map((c) => c.status)).toEqual([429, 200]);
  });

  it('retries a call that times out; an answer lost after the work was done is deduped, not done twice', async () => {
    rig.receiver.failNext(1, { kind: 'hang', ms: 2_000 });
    rig.receiver.failNext(1, { kind: 'hang', ms: 2_000, applied: true });
    const t = target();
    const handle = await rig.provider.grant(rig.config({ timeoutSec: 0.2 }), t);
    expect(rig.receiver.calls.map((c) => c.fault ?? (c.replayed ? 'replayed' : 'fresh'))).toEqual(['hang', 'hang', 'replayed']);
    expect(handle).toMatchObject({ receiver: { grantId: 'g-1' } });
    expect(Object.keys(rig.receiver.grants())).toHaveLength(1);
  });

  it('retries a dropped connection', async () => {
    rig.receiver.failNext(1, { kind: 'reset' });
    await rig.provider.grant(rig.config(), target());
    expect(rig.receiver.holds('billing-app', 'alice@corp')).toBe(true);
  });

  it('fails at once on a permanent 403, quoting the status and the receiver, never the secret or the signature', async () => {
    rig.receiver.failAlways({ kind: 'status', status: 403, body: `denied: bad signature ${SECRET}` });
    const error = await rig.provider.grant(rig.config(), target()).catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/grant answered 403: denied: bad signature \*\*\* \(permanent, not retried\)/) });
    expect(rig.receiver.calls).toHaveLength(1);
    const signature = String(rig.receiver.calls[0]!.headers['stint-signature']).split('v1=')[1]!;
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain(signature);
    expect(error.message).toContain(`webhook http://127.0.0.1:`);
  });

  it('quotes at most 200 characters of the receiver answer', async () => {
    rig.receiver.failAlways({ kind: 'status', status: 400, body: 'x'.repeat(500) });
    const error = await rig.provider.grant(rig.config(), target()).catch((e: unknown) => e as Error);
    expect(error.message).toContain(`${'x'.repeat(200)}…`);
    expect(error.message).not.toContain('x'.repeat(201));
  });

  it('gives up after maxAttempts transient failures, revokes in case the grant was applied, and throws', async () => {
    rig.receiver.failNext(3, { kind: 'status', status: 502 });
    await expect(rig.provider.grant(rig.config({ maxAttempts: 3 }), target())).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/grant answered 502.*gave up after 3 attempt.*; a revoke was sent in case the receiver applied the grant$/),
    });
    expect(rig.receiver.calls.map((c) => `${c.event}:${c.status}`)).toEqual(['grant:502', 'grant:502', 'grant:502', 'revoke:200']);
  });

  it('sends no revoke when every attempt was turned away with 429 (nothing was done)', async () => {
    rig.receiver.failAlways({ kind: 'status', status: 429, retryAfter: '1' });
    await expect(rig.provider.grant(rig.config({ maxAttempts: 2 }), target())).rejects.toThrow(/grant answered 429.*gave up after 2 attempt\(s\); check that the receiver is up$/);
    expect(rig.receiver.calls.map((c) => c.event)).toEqual(['grant', 'grant']);
  });

  it('takes back a grant the receiver applied but whose answers were all lost', async () => {
    rig.receiver.failNext(2, { kind: 'hang', ms: 1_000, applied: true });
    await expect(rig.provider.grant(rig.config({ maxAttempts: 2, timeoutSec: 0.2 }), target())).rejects.toThrow(/no answer within 200 ms.*a revoke was sent/);
    expect(rig.receiver.holds('billing-app', 'alice@corp')).toBe(false);
  });

  it('says the access may remain when that revoke fails too', async () => {
    rig.receiver.failAlways({ kind: 'status', status: 503 });
    await expect(rig.provider.grant(rig.config({ maxAttempts: 2 }), target())).rejects.toMatchObject({
      details: { maybeHeld: true },
      message: expect.stringMatching(/the revoke sent in case the receiver applied the grant failed too .*check by hand that alice@corp does not hold billing-app/),
    });
  });

  it('throws when a revoke keeps failing (the request stays REVOKING), and succeeds when the receiver is back', async () => {
    const handle = await rig.provider.grant(rig.config(), target());
    rig.receiver.failAlways({ kind: 'status', status: 503 });
    await expect(rig.provider.revoke(rig.config({ maxAttempts: 2 }), handle, { stillNeeded: false })).rejects.toThrow(/revoke answered 503/);
    expect(rig.receiver.holds('billing-app', 'alice@corp')).toBe(true);
    rig.receiver.clearFaults();
    await rig.provider.revoke(rig.config(), handle, { stillNeeded: false });
    expect(rig.receiver.holds('billing-app', 'alice@corp')).toBe(false);
  });

  it('extends: the receiver gets the new expiry, and each extension is its own call', async () => {
    const t = target();
    const handle = await rig.provider.grant(rig.config(), t);
    const later = new Date(t.expiresAt.getTime() + 3_600_000);
    const evenLater = new Date(t.expiresAt.getTime() + 7_200_000);
    const extended = await rig.provider.extend(rig.config(), handle, later);
    expect(extended.expiresAt).toBe(later.toISOString());
    await rig.provider.extend(rig.config(), extended, evenLater);
    expect(Object.values(rig.receiver.grants())).toEqual([evenLater.toISOString()]);
    expect(rig.receiver.applied().map((c) => c.event)).toEqual(['grant', 'extend', 'extend']);
    expect(rig.receiver.calls.at(-1)!.idempotencyKey).toBe(`${t.requestId}:billing-app:extend:${evenLater.getTime()}`);
  });

  it('sends extra headers resolved from env references (the receiver requires them)', async () => {
    const strict = await webhookRig({ requiredHeaders: { Authorization: 'Bearer tok-123' } }, { HOOK_TOKEN: 'Bearer tok-123' });
    try {
      await expect(strict.provider.grant(strict.config(), target())).rejects.toThrow(/grant answered 401.*missing or wrong Authorization/);
      await strict.provider.grant(strict.config({ headers: { Authorization: 'env:HOOK_TOKEN' } }), target());
      expect(strict.receiver.calls.at(-1)!.status).toBe(200);
    } finally {
      await strict.receiver.close();
    }
  });

  it('sends the principal with account null when the person has no webhook account', async () => {
    await rig.provider.grant(rig.config(), target({ account: undefined }));
    expect(rig.receiver.calls[0]!.body).toMatchObject({ account: null, principalId: 'alice' });
    expect(rig.receiver.holds('billing-app', 'alice')).toBe(true);
  });

  it('takes back a grant whose answer carries a handle it cannot keep, and fails', async () => {
    rig.receiver.nextGrantBody(JSON.stringify({ handle: { token: { nested: 'no' } } }));
    await expect(rig.provider.grant(rig.config(), target())).rejects.toThrow(/grant answer was refused \(handle must be a flat JSON object.*fix the receiver; a revoke was sent to take the grant back$/);
    expect(rig.receiver.holds('billing-app', 'alice@corp')).toBe(false);
  });

  it('refuses to follow a redirect (it would re-send the signed body and headers elsewhere)', async () => {
    rig.receiver.failAlways({ kind: 'status', status: 307 });
    await expect(rig.provider.grant(rig.config(), target())).rejects.toThrow(/answered 307.*redirects are not followed/);
  });

  it('refuses a check answer that is not {"present": boolean}', async () => {
    const handle = await rig.provider.grant(rig.config(), target());
    rig.receiver.failNext(1, { kind: 'status', status: 200, body: 'ok' });
    await expect(rig.provider.check(rig.config(), handle)).rejects.toThrow(/the answer to check must be JSON \{"present": true\|false\}/);
  });

  it('with check: false, answers from its own record without calling the receiver', async () => {
    const config = rig.config({ check: false });
    const handle = await rig.provider.grant(config, target());
    expect(await rig.provider.check(config, handle)).toBe('present');
    await rig.provider.revoke(config, handle, { stillNeeded: false });
    expect(await rig.provider.check(config, handle)).toBe('absent');
    expect(await rig.provider.check(config, { ...handle, requestId: 'other', expiresAt: new Date(Date.now() - 1000).toISOString() })).toBe('absent');
    expect(rig.receiver.calls.map((c) => c.event)).toEqual(['grant', 'revoke']);
  });

  it('names the missing environment variable of the secret, never a value', async () => {
    const config = rig.config({ secret: 'env:NOT_SET_ANYWHERE' });
    const error = await rig.provider.grant(config, target()).catch((e: unknown) => e as Error);
    expect(error.message).toMatch(/^secret env:NOT_SET_ANYWHERE: environment variable NOT_SET_ANYWHERE is not set or empty; set it before starting Stint$/);
    expect(rig.receiver.calls).toHaveLength(0);
  });
});
