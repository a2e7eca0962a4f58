import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { grantApiHarness, type GrantApiHarness } from '../support/grant-api-harness.ts';

let h: GrantApiHarness;
let url: string;
beforeAll(async () => {
  h = await grantApiHarness({ env: { PORT: '0' } });
  url = await h.app.listen();
});
afterAll(async () => h?.close());

const BASE = '/api/v1/credentials/jit';

async function pending(): Promise<string> {
  const created = await h.call('alice', 'POST', BASE, { reason: 'INC-9 stuck orders', scopes: ['orders-db'], duration: '1h' });
  expect(created.body.status).toBe('PENDING');
  return created.body.id as string;
}

describe('GET /api/v1/credentials/jit/:id/wait', () => {
  it('returns as soon as a denial lands, settled, with the request view', async () => {
    const id = await pending();
    const waiting = h.call('alice', 'GET', `${BASE}/${id}/wait?timeout=60s`);
    await new Promise((r) => setTimeout(r, 300));
    await h.call('carol', 'POST', `${BASE}/${id}/deny`, { comment: 'use the replica' });
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, status: 'DENIED', settled: true, approvers: [expect.objectContaining({ email: 'carol@example.com', status: 'denied' })] });
  });

  it('waits through APPROVED and answers once the grant is ACTIVE', async () => {
    const id = await pending();
    let answered = false;
    const waiting = h.call('alice', 'GET', `${BASE}/${id}/wait?timeout=1m`).finally(() => {
      answered = true;
    });
    await h.call('carol', 'POST', `${BASE}/${id}/approve`, {});
    await new Promise((r) => setTimeout(r, 500));
    expect(answered).toBe(false);
    expect((await activateGrant(id, h.app.grants)).status).toBe('ACTIVE');
    expect((await waiting).body).toMatchObject({ id, status: 'ACTIVE', settled: true });
  });

  it('answers settled: false with the pending view when the timeout passes first', async () => {
    const id = await pending();
    const res = await h.call('alice', 'GET', `${BASE}/${id}/wait?timeout=1`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, status: 'PENDING', settled: false });
  });

  it('stops reading the row when the client disconnects mid-wait', async () => {
    const id = await pending();
    const reads = vi.spyOn(h.app.store, 'getRequest');
    const gone = new AbortController();
    const waiting = fetch(`${url}${BASE}/${id}/wait?timeout=60s`, { headers: { authorization: `Bearer ${h.tokens.alice}` }, signal: gone.signal });
    await vi.waitFor(() => expect(reads.mock.calls.length).toBeGreaterThan(2), { timeout: 10_000, interval: 50 });
    gone.abort();
    await expect(waiting).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    const after = reads.mock.calls.length;
    await new Promise((r) => setTimeout(r, 600));
    expect(reads.mock.calls.length).toBe(after);
    reads.mockRestore();
  });

  it('is 404 for a request the caller may not see, at once', async () => {
    const id = await pending();
    const res = await h.call('mallory', 'GET', `${BASE}/${id}/wait?timeout=60s`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it.each(['61s', '2m', '61', 'soon'])('refuses timeout=%s with 422 INVALID_DURATION', async (timeout) => {
    const id = await pending();
    const res = await h.call('alice', 'GET', `${BASE}/${id}/wait?timeout=${timeout}`);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('INVALID_DURATION');
  });

  it('refuses an unknown query parameter and a missing token', async () => {
    const id = await pending();
    expect((await h.call('alice', 'GET', `${BASE}/${id}/wait?timout=5s`)).body.error).toMatchObject({ code: 'INVALID_BODY', details: { field: 'timout' } });
    expect((await h.call('', 'GET', `${BASE}/${id}/wait`)).status).toBe(401);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await h.call('alice', 'GET', '/openapi.json')).body;
    expect(doc.paths['/api/v1/credentials/jit/{id}/wait'].get.responses['200'].content['application/json'].schema.properties.settled.type).toBe('boolean');
  });
});
