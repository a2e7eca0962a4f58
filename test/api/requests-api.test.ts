import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness } from '../support/api-harness.ts';

const JIT = '/api/v1/credentials/jit';
let h: ApiHarness;

beforeAll(async () => {
  h = await apiHarness();
});
afterAll(async () => h?.close());

const create = (who = 'alice', body: Record<string, unknown> = {}) =>
  h.call(who, 'POST', JIT, { identityId: who, reason: 'INC-1234 stuck orders', scopes: ['prod-orders-db'], duration: '2h', notifyChannels: ['slack'], ...body });

describe('POST /api/v1/credentials/jit', () => {
  it('answers 201 with the seed shape: id, PENDING, requestedAt, expiresAt null, approvers with email and status', async () => {
    const res = await create();
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^jit_/), status: 'PENDING', expiresAt: null, required: 2 });
    expect(new Date(res.body.requestedAt).toISOString()).toBe(res.body.requestedAt);
    expect(res.body.approvers.map((a: { email: string; status: string }) => [a.email, a.status]).sort()).toEqual([
      ['carol@example.com', 'pending'],
      ['dave@example.com', 'pending'],
      ['frank@example.com', 'pending'],
    ]);
  });

  it('answers an auto-approved request with autoApproved, decidedBy and no approvers', async () => {
    const res = await create('alice', { scopes: ['dev-api'], duration: '1h' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'APPROVED', autoApproved: true, decidedBy: 'policy:dev-auto', approvers: [] });
  });

  it('leaves a requester who is also an approver out of their own approvers', async () => {
    const res = await create('carol');
    expect(res.body.approvers.map((a: { id: string }) => a.id).sort()).toEqual(['dave', 'frank']);
  });

  it('names an unconfigured notification channel in warnings', async () => {
    const res = await create('alice', { notifyChannels: ['email'] });
    expect(res.body.warnings).toEqual([expect.stringContaining('email')]);
  });

  it.each([
    ['malformed JSON', '{"identityId": "alice",', 400, 'INVALID_BODY'],
    ['an unknown field', { identityId: 'alice', reason: 'r', scopes: ['prod-orders-db'], duration: '1h', colour: 'red' }, 400, 'INVALID_BODY'],
    ['a wrong type', { identityId: 'alice', reason: 'r', scopes: 'prod-orders-db', duration: '1h' }, 400, 'INVALID_BODY'],
    ['0m', { identityId: 'alice', reason: 'r', scopes: ['prod-orders-db'], duration: '0m' }, 422, 'INVALID_DURATION'],
    ['-1h', { identityId: 'alice', reason: 'r', scopes: ['prod-orders-db'], duration: '-1h' }, 422, 'INVALID_DURATION'],
    ['99999d', { identityId: 'alice', reason: 'r', scopes: ['prod-orders-db'], duration: '99999d' }, 422, 'INVALID_DURATION'],
    ['above maxDuration', { identityId: 'alice', reason: 'r', scopes: ['prod-orders-db'], duration: '5h' }, 422, 'DURATION_TOO_LONG'],
    ['an unknown resource', { identityId: 'alice', reason: 'r', scopes: ['prod-unknown'], duration: '1h' }, 422, 'UNKNOWN_SCOPE'],
    ['mixed workflows', { identityId: 'alice', reason: 'r', scopes: ['prod-orders-db', 'dev-x'], duration: '1h' }, 422, 'MIXED_WORKFLOWS'],
    ['someone else without admin', { identityId: 'bob', reason: 'r', scopes: ['prod-orders-db'], duration: '1h' }, 403, 'FORBIDDEN'],
  ])('refuses %s with a stable code and changes nothing', async (_name, body, status, code) => {
    const before = (await h.call('erin', 'GET', '/api/v1/requests')).body.requests.length;
    const res = await h.call('alice', 'POST', JIT, body);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(res.body.error.message).toEqual(expect.any(String));
    expect((await h.call('erin', 'GET', '/api/v1/requests')).body.requests.length).toBe(before);
  });

  it('names the field of a malformed body in details.field', async () => {
    const res = await h.call('alice', 'POST', JIT, { identityId: 'alice', reason: 'r', scopes: ['x'], duration: '1h', colour: 'red' });
    expect(res.body.error.details.field).toBe('colour');
  });

  it('refuses a requester who is not eligible with 403 NOT_ELIGIBLE', async () => {
    const res = await create('mallory');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('NOT_ELIGIBLE');
  });

  it('refuses no token, an unknown token and a revoked token with 401', async () => {
    expect((await h.call('', 'POST', JIT, {})).status).toBe(401);
    expect((await h.call('stint_live_nope', 'POST', JIT, {})).body.error.code).toBe('UNAUTHENTICATED');
  });

  it('never answers with a stack trace', async () => {
    const res = await h.call('alice', 'POST', JIT, '{"a":');
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('deciding over REST', () => {
  it('approves with two distinct approvers and shows who approved when', async () => {
    const { body } = await create();
    const first = await h.call('carol', 'POST', `${JIT}/${body.id}/approve`, { comment: 'ok' });
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('PENDING');
    const second = await h.call('dave', 'POST', `${JIT}/${body.id}/approve`, {});
    expect(second.body.status).toBe('APPROVED');
    expect(second.body.approvers.filter((a: { status: string }) => a.status === 'approved')).toHaveLength(2);
  });

  it('answers a repeated approval 200 with the unchanged view', async () => {
    const { body } = await create();
    await h.call('carol', 'POST', `${JIT}/${body.id}/approve`, {});
    const again = await h.call('carol', 'POST', `${JIT}/${body.id}/approve`, {});
    expect(again.status).toBe(200);
    expect(again.body.approvers.filter((a: { status: string }) => a.status === 'approved')).toHaveLength(1);
  });

  it('refuses self-approval with 403 SELF_APPROVAL', async () => {
    const { body } = await create('carol');
    const res = await h.call('carol', 'POST', `${JIT}/${body.id}/approve`, {});
    expect([res.status, res.body.error.code]).toEqual([403, 'SELF_APPROVAL']);
  });

  it('refuses an approver from another group with 403 NOT_ELIGIBLE', async () => {
    const { body } = await create();
    const res = await h.call('erin', 'POST', `${JIT}/${body.id}/approve`, {});
    expect([res.status, res.body.error.code]).toEqual([403, 'NOT_ELIGIBLE']);
  });

  it('requires a comment to deny', async () => {
    const { body } = await create();
    const res = await h.call('carol', 'POST', `${JIT}/${body.id}/deny`, {});
    expect([res.status, res.body.error.code]).toEqual([422, 'COMMENT_REQUIRED']);
  });

  it('refuses deciding a cancelled request with 409 NOT_PENDING and its status', async () => {
    const { body } = await create();
    expect((await h.call('alice', 'POST', `${JIT}/${body.id}/cancel`, {})).body.status).toBe('CANCELLED');
    const res = await h.call('carol', 'POST', `${JIT}/${body.id}/approve`, {});
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'NOT_PENDING', details: { status: 'CANCELLED' } });
  });

  it('hides a request from people who may not see it with 404', async () => {
    const { body } = await create();
    const res = await h.call('mallory', 'GET', `${JIT}/${body.id}`);
    expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await h.call('bob', 'GET', `${JIT}/${body.id}`)).status).toBe(404);
    expect((await h.call('carol', 'GET', `${JIT}/${body.id}`)).status).toBe(200);
  });
});

describe('listing and operations', () => {
  it('lists what awaits an approver', async () => {
    const { body } = await create();
    const res = await h.call('frank', 'GET', '/api/v1/requests?view=awaiting');
    expect(res.body.requests.map((r: { id: string }) => r.id)).toContain(body.id);
  });

  it('filters by status and refuses an unknown one', async () => {
    const ok = await h.call('erin', 'GET', '/api/v1/requests?status=APPROVED');
    expect(ok.body.requests.every((r: { status: string }) => r.status === 'APPROVED')).toBe(true);
    const bad = await h.call('erin', 'GET', '/api/v1/requests?status=NOPE');
    expect([bad.status, bad.body.error.code]).toEqual([400, 'INVALID_BODY']);
  });

  it('serves health, readiness and an OpenAPI document naming the routes', async () => {
    expect((await h.call('', 'GET', '/healthz')).status).toBe(200);
    expect((await h.call('', 'GET', '/readyz')).body).toMatchObject({ status: 'ready' });
    const doc = (await h.call('', 'GET', '/openapi.json')).body;
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/credentials/jit', '/api/v1/credentials/jit/{id}/approve']));
    expect(doc.paths['/api/v1/credentials/jit'].post.requestBody.content['application/json'].schema.additionalProperties).toBe(false);
  });

  it('answers an unknown route with a JSON 404', async () => {
    const res = await h.call('', 'GET', '/nope');
    expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('verifies the audit chain after all of the above', async () => {
    const res = await h.call('erin', 'GET', '/api/v1/audit/verify');
    expect(res.body).toMatchObject({ ok: true });
    expect(res.body.count).toBeGreaterThan(10);
  });
});
