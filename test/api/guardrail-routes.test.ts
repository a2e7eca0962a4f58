import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify-chain.ts';
import { guardrailHarness, type GuardrailHarness } from '../support/guardrail-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

let db: TestDatabase;
let h: GuardrailHarness;

beforeAll(async () => {
  db = await createTestDatabase();
  h = await guardrailHarness(db.url);
}, 120_000);
afterAll(async () => {
  await h?.close();
  await db?.drop();
});

const status = async (id: string) => (await h.app.store.getRequest(id))!;
const actions = async () => {
  const out: Array<{ action: string; actor: string; data: Record<string, unknown> }> = [];
  for await (const e of h.app.store.streamAudit(0n)) out.push({ action: e.action, actor: e.actor, data: e.data });
  return out;
};

describe('POST /api/v1/guardrails/trip (PostgreSQL)', () => {
  it('revokes every grant of the account, cancels its pending request, suspends it, and refuses its tokens until unsuspended', async () => {
    const active = await h.grantFor('svc-bot', 'orders-db');
    const approved = await h.grantFor('svc-bot', 'reports-db', 'APPROVED');
    const pending = await h.grantFor('svc-bot', 'orders-db', 'PENDING');
    const others = await h.grantFor('alice', 'orders-db');
    expect(h.provider.expiries.has(`${active}/orders-db`)).toBe(true);

    const trip = await h.call('orders-api', 'POST', '/api/v1/guardrails/trip', { serviceAccountId: 'svc-bot', reason: 'wrote to tables outside its task' });
    expect(trip.status).toBe(200);
    expect(trip.body).toEqual({ serviceAccountId: 'svc-bot', suspended: true, revoked: expect.arrayContaining([active, approved]), cancelled: [pending] });
    expect(trip.body.revoked).toHaveLength(2);

    expect(await status(active)).toMatchObject({ status: 'REVOKED', revokeCause: 'guardrail' });
    expect(await status(approved)).toMatchObject({ status: 'REVOKED', revokeCause: 'guardrail' });
    expect((await status(pending)).status).toBe('CANCELLED');
    expect(h.provider.expiries.has(`${active}/orders-db`)).toBe(false);
    expect((await status(others)).status).toBe('ACTIVE');

    const refused = await h.call('svc-bot', 'GET', '/api/v1/requests');
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('UNAUTHENTICATED');
    expect(refused.body.error.message).toContain('svc-bot is suspended');
    expect(refused.body.error.message).toContain('stint service-account unsuspend svc-bot');

    const list = await h.call('erin', 'GET', '/api/v1/service-accounts');
    expect(list.body.serviceAccounts.find((a: { id: string }) => a.id === 'svc-bot')).toMatchObject({
      owner: 'alice',
      suspended: true,
      suspendedReason: 'wrote to tables outside its task',
      suspendedAt: '2026-12-02T10:00:00.000Z',
      onGuardrail: 'suspend',
      maxJitDuration: 1800,
    });

    const unsuspend = await h.call('erin', 'POST', '/api/v1/service-accounts/svc-bot/unsuspend', { comment: 'rule fixed in the agent' });
    expect(unsuspend.status).toBe(200);
    expect(unsuspend.body).toMatchObject({ id: 'svc-bot', suspended: false, suspendedReason: null });
    expect((await h.call('svc-bot', 'GET', '/api/v1/requests')).status).toBe(200);
  });

  it('audits the trip and the suspension with the reason, and tells the owner and the admins', async () => {
    const events = await actions();
    const tripped = events.find((e) => e.action === 'guardrail.tripped');
    expect(tripped).toMatchObject({ actor: 'bob', data: { serviceAccountId: 'svc-bot', reason: 'wrote to tables outside its task', rule: null } });
    expect((tripped!.data.requests as string[]).length).toBe(3);
    expect(events.find((e) => e.action === 'serviceaccount.suspended')).toMatchObject({ data: { serviceAccountId: 'svc-bot', comment: 'wrote to tables outside its task' } });
    expect(events.find((e) => e.action === 'serviceaccount.unsuspended')).toMatchObject({ actor: 'erin', data: { comment: 'rule fixed in the agent' } });
    expect(events.filter((e) => e.action === 'grant.revoking' && e.data.cause === 'guardrail')).toHaveLength(2);
    expect(h.notifier.sent.find((n) => n.kind === 'guardrail.tripped')).toMatchObject({ serviceAccountId: 'svc-bot', ownerId: 'alice', suspended: true });
    expect((await verifyChain(h.app.store.streamAudit(0n))).ok).toBe(true);
  });

  it('refuses an admin acting for a suspended account with NOT_ELIGIBLE', async () => {
    await h.call('erin', 'POST', '/api/v1/service-accounts/svc-bot/suspend', { comment: 'investigating' });
    const created = await h.call('erin', 'POST', '/api/v1/credentials/jit', { identityId: 'svc-bot', reason: 'on its behalf', scopes: ['orders-db'], duration: '10m' });
    expect(created.status).toBe(403);
    expect(created.body.error.code).toBe('NOT_ELIGIBLE');
    expect(created.body.error.message).toContain('suspended (investigating)');
    await h.call('erin', 'POST', '/api/v1/service-accounts/svc-bot/unsuspend', {});
  });

  it('only revokes an account whose policy says onGuardrail: revoke', async () => {
    const grant = await h.grantFor('svc-lite', 'orders-db');
    const trip = await h.call('erin', 'POST', '/api/v1/guardrails/trip', { serviceAccountId: 'svc-lite', reason: 'too many calls' });
    expect(trip.body).toEqual({ serviceAccountId: 'svc-lite', suspended: false, revoked: [grant], cancelled: [] });
    expect((await h.call('svc-lite', 'GET', '/api/v1/requests')).status).toBe(200);
  });

  it('trips an already suspended account with nothing left again, and audits it again', async () => {
    const first = await h.call('erin', 'POST', '/api/v1/guardrails/trip', { serviceAccountId: 'svc-bot', reason: 'again' });
    const second = await h.call('erin', 'POST', '/api/v1/guardrails/trip', { serviceAccountId: 'svc-bot', reason: 'and again' });
    expect(first.status).toBe(200);
    expect(second.body).toEqual({ serviceAccountId: 'svc-bot', suspended: true, revoked: [], cancelled: [] });
    const trips = (await actions()).filter((e) => e.action === 'guardrail.tripped' && e.data.serviceAccountId === 'svc-bot');
    expect(trips.at(-1)!.data).toMatchObject({ reason: 'and again', alreadySuspended: true });
    const row = await h.app.store.getServiceAccount('svc-bot');
    expect(row?.suspendedReason).toBe('again');
    await h.call('erin', 'POST', '/api/v1/service-accounts/svc-bot/unsuspend', {});
  });

  it('refuses a caller who is neither an admin nor a resource server', async () => {
    const trip = await h.call('alice', 'POST', '/api/v1/guardrails/trip', { serviceAccountId: 'svc-bot', reason: 'I do not like it' });
    expect(trip.status).toBe(403);
    expect(trip.body.error.code).toBe('FORBIDDEN');
    expect((await h.call('svc-bot', 'GET', '/api/v1/requests')).status).toBe(200);
  });

  it('answers 404 for an unknown account and 422 without a reason', async () => {
    const unknown = await h.call('erin', 'POST', '/api/v1/guardrails/trip', { serviceAccountId: 'svc-nobody', reason: 'x' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
    const blank = await h.call('erin', 'POST', '/api/v1/guardrails/trip', { serviceAccountId: 'svc-bot', reason: '  ' });
    expect(blank.status).toBe(422);
    expect(blank.body.error.code).toBe('COMMENT_REQUIRED');
  });

  it('documents the guardrail, service-account and token-rotation routes in /openapi.json', async () => {
    const paths = Object.keys((await h.call('', 'GET', '/openapi.json')).body.paths);
    for (const path of ['/api/v1/guardrails/trip', '/api/v1/service-accounts', '/api/v1/service-accounts/{id}/suspend', '/api/v1/service-accounts/{id}/unsuspend', '/api/v1/tokens/{prefix}/rotate']) {
      expect(paths).toContain(path);
    }
  });

  it('lets only admins list, suspend and unsuspend service accounts', async () => {
    expect((await h.call('alice', 'GET', '/api/v1/service-accounts')).status).toBe(403);
    expect((await h.call('orders-api', 'POST', '/api/v1/service-accounts/svc-bot/suspend', { comment: 'x' })).status).toBe(403);
    expect((await h.call('alice', 'POST', '/api/v1/service-accounts/svc-bot/unsuspend', {})).status).toBe(403);
    expect((await h.call('erin', 'POST', '/api/v1/service-accounts/svc-bot/suspend', {})).body.error.code).toBe('INVALID_BODY');
  });
});
