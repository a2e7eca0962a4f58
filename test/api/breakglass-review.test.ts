/** POST /api/v1/credentials/jit/:id/review: the break-glass follow-up review over REST (issue 7). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness } from '../support/api-harness.ts';

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
}, 60_000);
afterAll(async () => h?.close());

async function breakGlass(): Promise<string> {
  const created = await h.call('alice', 'POST', '/api/v1/credentials/jit', {
    scopes: ['sandbox'],
    duration: '30m',
    reason: 'INC-9 production is down, orders failing',
    breakGlass: true,
  });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

describe('POST /api/v1/credentials/jit/:id/review', () => {
  it('shows a pending review on the break-glass view, and none on other requests', async () => {
    const id = await breakGlass();
    const shown = await h.call('alice', 'GET', `/api/v1/credentials/jit/${id}`);
    expect(shown.body.review).toEqual({ status: 'pending', reviewers: ['erin@example.com'], acknowledgedBy: null, acknowledgedAt: null, comment: null });
    const normal = await h.call('alice', 'POST', '/api/v1/credentials/jit', { scopes: ['prod-orders-db'], duration: '1h', reason: 'stuck orders' });
    expect(normal.body.review).toBeNull();
  });

  it('answers 200 with the view, the review acknowledged by the reviewer with their comment', async () => {
    const id = await breakGlass();
    const answer = await h.call('erin', 'POST', `/api/v1/credentials/jit/${id}/review`, { comment: 'session log checked, fine' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id, breakGlass: true, review: { status: 'acknowledged', acknowledgedBy: 'erin', acknowledgedAt: expect.any(String), comment: 'session log checked, fine' } });
    const events = (await h.app.store.readAudit(0n, 10_000)).filter((e) => e.requestId === id && e.action === 'breakglass.reviewed');
    expect(events).toEqual([expect.objectContaining({ actor: 'erin', data: expect.objectContaining({ breakGlass: true, reviewer: 'erin', comment: 'session log checked, fine' }) })]);
  });

  it('answers a repeat 200 with the unchanged view (no body needed), audited once', async () => {
    const id = await breakGlass();
    await h.call('erin', 'POST', `/api/v1/credentials/jit/${id}/review`, { comment: 'first' });
    const again = await h.call('erin', 'POST', `/api/v1/credentials/jit/${id}/review`);
    expect(again.status).toBe(200);
    expect(again.body.review).toMatchObject({ status: 'acknowledged', comment: 'first' });
    const events = (await h.app.store.readAudit(0n, 10_000)).filter((e) => e.requestId === id && e.action === 'breakglass.reviewed');
    expect(events).toHaveLength(1);
  });

  it('refuses the break-glass requester with 403 SELF_APPROVAL', async () => {
    const id = await breakGlass();
    const refused = await h.call('alice', 'POST', `/api/v1/credentials/jit/${id}/review`, {});
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: expect.objectContaining({ code: 'SELF_APPROVAL', message: expect.any(String) }) });
  });

  it('hides the request from someone who may not see it with 404 NOT_FOUND, like an unknown id', async () => {
    const id = await breakGlass();
    const hidden = await h.call('mallory', 'POST', `/api/v1/credentials/jit/${id}/review`, {});
    const unknown = await h.call('erin', 'POST', '/api/v1/credentials/jit/jit_01JZZZZZZZZZZZZZZZZZZZZZZZ/review', {});
    expect([hidden.status, hidden.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('refuses a request that was not a break-glass use with 409 NOT_BREAK_GLASS', async () => {
    const normal = await h.call('alice', 'POST', '/api/v1/credentials/jit', { scopes: ['prod-orders-db'], duration: '1h', reason: 'stuck orders' });
    const refused = await h.call('erin', 'POST', `/api/v1/credentials/jit/${normal.body.id}/review`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('NOT_BREAK_GLASS');
  });

  it('refuses an unknown field with 400 INVALID_BODY', async () => {
    const id = await breakGlass();
    const refused = await h.call('erin', 'POST', `/api/v1/credentials/jit/${id}/review`, { note: 'x' });
    expect([refused.status, refused.body.error.code]).toEqual([400, 'INVALID_BODY']);
  });

  it("lists the review in the reviewer's awaiting view until it is acknowledged", async () => {
    const id = await breakGlass();
    const before = await h.call('erin', 'GET', '/api/v1/requests?view=awaiting');
    expect(before.body.requests.map((r: { id: string }) => r.id)).toContain(id);
    const pending = await h.call('erin', 'GET', '/api/v1/requests?review=pending');
    expect(pending.body.requests.every((r: { review: { status: string } }) => r.review.status === 'pending')).toBe(true);
    await h.call('erin', 'POST', `/api/v1/credentials/jit/${id}/review`, {});
    const after = await h.call('erin', 'GET', '/api/v1/requests?view=awaiting');
    expect(after.body.requests.map((r: { id: string }) => r.id)).not.toContain(id);
    // The requester never sees it as waiting for them.
    const alice = await h.call('alice', 'GET', '/api/v1/requests?view=awaiting');
    expect(alice.body.requests.map((r: { id: string }) => r.id)).not.toContain(id);
  });

  it('documents the endpoint and the review object in /openapi.json', async () => {
    const doc = (await h.call('', 'GET', '/openapi.json')).body;
    expect(doc.paths['/api/v1/credentials/jit/{id}/review'].post.responses['200']).toBeDefined();
    expect(doc.paths['/api/v1/credentials/jit/{id}/review'].post.responses['409'].description).toContain('NOT_BREAK_GLASS');
    expect(JSON.stringify(doc.paths['/api/v1/credentials/jit/{id}'].get.responses['200'])).toContain('acknowledgedBy');
  });
});
