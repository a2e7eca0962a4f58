import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantApiHarness, type GrantApiHarness } from '../support/grant-api-harness.ts';

const JIT = '/api/v1/credentials/jit';
let h: GrantApiHarness;

beforeAll(async () => {
  h = await grantApiHarness();
});
afterAll(async () => h?.close());

describe('POST /api/v1/credentials/jit/:id/extend', () => {
  it('answers 200 with the request view and its later expiry', async () => {
    const id = await h.activeGrant('orders-db', '1h');
    const before = (await h.call('alice', 'GET', `${JIT}/${id}`)).body;
    const res = await h.call('carol', 'POST', `${JIT}/${id}/extend`, { duration: '30m', comment: 'still migrating' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, status: 'ACTIVE', approvers: expect.any(Array) });
    expect(Date.parse(res.body.expiresAt) - Date.parse(before.expiresAt)).toBe(30 * 60_000);
    expect(h.provider.extendCalls.at(-1)).toMatchObject({ key: `${id}/orders-db`, newExpiry: new Date(res.body.expiresAt) });
  });

  it.each([
    ['an unknown field', { duration: '1h', colour: 'red' }, 400, 'INVALID_BODY'],
    ['a missing duration', {}, 400, 'INVALID_BODY'],
    ['an unparseable duration', { duration: 'soon' }, 422, 'INVALID_DURATION'],
    ['a total above maxDuration', { duration: '4h' }, 422, 'DURATION_TOO_LONG'],
  ])('refuses %s with a stable code', async (_name, body, status, code) => {
    const id = await h.activeGrant();
    const res = await h.call('carol', 'POST', `${JIT}/${id}/extend`, body);
    expect([res.status, res.body.error.code]).toEqual([status, code]);
  });

  it('names the unknown field in details.field', async () => {
    const id = await h.activeGrant();
    expect((await h.call('carol', 'POST', `${JIT}/${id}/extend`, { duration: '1h', colour: 'red' })).body.error.details.field).toBe('colour');
  });

  it('answers 403 NOT_ELIGIBLE to a requester whose workflow has no auto-approval, naming who can extend', async () => {
    const id = await h.activeGrant();
    const res = await h.call('alice', 'POST', `${JIT}/${id}/extend`, { duration: '30m' });
    expect([res.status, res.body.error.code]).toEqual([403, 'NOT_ELIGIBLE']);
    expect(res.body.error.message).toContain('an approver of workflow one-dba');
  });

  it('answers 409 NOT_PENDING with details.status for a request that is not ACTIVE, and 404 to who may not see it', async () => {
    const id = await h.activeGrant();
    expect((await h.call('mallory', 'POST', `${JIT}/${id}/extend`, { duration: '30m' })).status).toBe(404);
    await h.call('alice', 'POST', `${JIT}/${id}/done`, {});
    const res = await h.call('carol', 'POST', `${JIT}/${id}/extend`, { duration: '30m' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'NOT_PENDING', details: { status: 'REVOKED' } });
  });
});

describe('POST /api/v1/credentials/jit/:id/credential', () => {
  it('answers 200 with the credentials, not cacheable', async () => {
    const id = await h.activeGrant();
    const res = await h.call('alice', 'POST', `${JIT}/${id}/credential`, {});
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      requestId: id,
      credentials: [{ resourceId: 'orders-db', username: 'stint_orders_db', password: h.provider.minted.at(-1), expiresAt: expect.any(String), hint: 'postgres://stint_orders_db@db.example:5432/app' }],
    });
    expect(new Date(res.body.credentials[0].expiresAt).toISOString()).toBe(res.body.credentials[0].expiresAt);
  });

  it('accepts an empty body as well as {}', async () => {
    const id = await h.activeGrant();
    const res = await h.call('alice', 'POST', `${JIT}/${id}/credential`);
    expect(res.status).toBe(200);
  });

  it('refuses an unknown field with 400 INVALID_BODY and mints nothing', async () => {
    const id = await h.activeGrant();
    const before = h.provider.minted.length;
    const res = await h.call('alice', 'POST', `${JIT}/${id}/credential`, { forever: true });
    expect([res.status, res.body.error.code, res.body.error.details.field]).toEqual([400, 'INVALID_BODY', 'forever']);
    expect(h.provider.minted).toHaveLength(before);
  });

  it('answers 403 to an approver, 404 to a stranger and 422 NO_CREDENTIAL for a membership grant', async () => {
    const id = await h.activeGrant();
    expect((await h.call('carol', 'POST', `${JIT}/${id}/credential`, {})).body.error.code).toBe('FORBIDDEN');
    expect((await h.call('mallory', 'POST', `${JIT}/${id}/credential`, {})).status).toBe(404);
    const membership = await h.activeGrant('reports-db');
    const res = await h.call('alice', 'POST', `${JIT}/${membership}/credential`, {});
    expect([res.status, res.body.error.code]).toEqual([422, 'NO_CREDENTIAL']);
    expect(res.body.error.message).toContain('reports-db');
  });

  it('never writes the password to a log line, even at trace level', async () => {
    const id = await h.activeGrant();
    const res = await h.call('alice', 'POST', `${JIT}/${id}/credential`, {});
    const password = res.body.credentials[0].password as string;
    expect(h.logs.join('').length).toBeGreaterThan(0);
    expect(h.logs.some((line) => line.includes(`/credential`))).toBe(true);
    expect(h.logs.filter((line) => line.includes(password))).toEqual([]);
  });

  it('keeps the password out of the audit log', async () => {
    const id = await h.activeGrant();
    const password = (await h.call('alice', 'POST', `${JIT}/${id}/credential`, {})).body.credentials[0].password as string;
    const events = await h.app.store.readAudit(0n, 10_000);
    const revealed = events.filter((e) => e.requestId === id && e.action === 'credential.revealed');
    expect(revealed).toHaveLength(1);
    expect(revealed[0]!.data).toEqual({ resourceIds: ['orders-db'], usernames: ['stint_orders_db'] });
    expect(JSON.stringify(events.map((e) => e.data))).not.toContain(password);
  });
});

describe('/openapi.json', () => {
  it('declares extend and credential with their bodies and answers', async () => {
    const doc = (await h.call('', 'GET', '/openapi.json')).body;
    const extend = doc.paths['/api/v1/credentials/jit/{id}/extend'].post;
    expect(extend.requestBody.content['application/json'].schema).toMatchObject({ required: ['duration'], additionalProperties: false });
    expect(extend.responses).toHaveProperty('422');
    const credential = doc.paths['/api/v1/credentials/jit/{id}/credential'].post;
    expect(credential.responses['200'].content['application/json'].schema.properties).toHaveProperty('credentials');
    expect(credential.description).toContain('NO_CREDENTIAL');
  });
});
