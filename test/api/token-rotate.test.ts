import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify-chain.ts';
import { guardrailHarness, type GuardrailHarness } from '../support/guardrail-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

let db: TestDatabase;
let h: GuardrailHarness;
let newToken = '';

beforeAll(async () => {
  db = await createTestDatabase();
  h = await guardrailHarness(db.url);
}, 120_000);
afterAll(async () => {
  await h?.close();
  await db?.drop();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const prefixOf = (token: string) => token.slice(0, 'stint_live_'.length + 8);

describe('POST /api/v1/tokens/:prefix/rotate (PostgreSQL)', () => {
  it('gives a new token of the same owner, scopes and expiry; the old one is refused at once', async () => {
    const old = h.tokens['svc-bot']!;
    const rotated = await h.call('root', 'POST', `/api/v1/tokens/${prefixOf(old)}/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ prefix: prefixOf(rotated.body.token), previousPrefix: prefixOf(old), ownerId: 'svc-bot', scopes: ['request'], expiresAt: null });
    expect(rotated.body.token).toMatch(/^stint_live_/);
    expect(rotated.body.token).not.toBe(old);
    newToken = rotated.body.token;

    const refused = await h.app.server.inject({ method: 'GET', url: '/api/v1/requests', headers: bearer(old) });
    expect(refused.statusCode).toBe(401);
    expect(JSON.parse(refused.body).error.message).toContain('revoked');
    const works = await h.app.server.inject({ method: 'GET', url: '/api/v1/requests', headers: bearer(rotated.body.token) });
    expect(works.statusCode).toBe(200);
  });

  it('audits token.rotated with both prefixes and never the secret; the chain still verifies', async () => {
    const events = [];
    for await (const e of h.app.store.streamAudit(0n)) events.push(e);
    const rotated = events.find((e) => e.action === 'token.rotated');
    expect(rotated).toMatchObject({ actor: 'erin', data: { prefix: expect.stringMatching(/^stint_live_/), newPrefix: expect.stringMatching(/^stint_live_/), ownerId: 'svc-bot' } });
    const stored = JSON.stringify(events.map((e) => e.data));
    expect(newToken).not.toBe('');
    expect(stored).not.toContain(newToken);
    expect(stored).not.toMatch(/stint_live_[A-Za-z0-9_-]{20,}/);
    expect((await verifyChain(h.app.store.streamAudit(0n))).ok).toBe(true);
  });

  it('shows the new secret in the answer only: the listing has prefixes, never a token', async () => {
    const listing = await h.call('root', 'GET', '/api/v1/tokens?for=svc-bot');
    expect(JSON.stringify(listing.body)).not.toContain(newToken);
    expect(listing.body.tokens).toHaveLength(2);
  });

  it('answers 404 for a prefix that is not live (a second rotation of the same token included)', async () => {
    const again = await h.call('root', 'POST', `/api/v1/tokens/${prefixOf(h.tokens['svc-bot']!)}/rotate`);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('NOT_FOUND');
  });

  it('refuses a caller without the admin scope', async () => {
    const refused = await h.call('alice', 'POST', `/api/v1/tokens/${prefixOf(h.tokens['alice']!)}/rotate`);
    expect(refused.status).toBe(403);
  });
});
