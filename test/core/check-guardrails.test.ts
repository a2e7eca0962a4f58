import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkGuardrails } from '../../src/core/check-guardrails.ts';
import type { GuardrailCheck } from '../../src/core/ports.ts';
import { guardrailHarness, type GuardrailHarness } from '../support/guardrail-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

let db: TestDatabase;
let h: GuardrailHarness;
let check: GuardrailCheck;
const warnings: Array<{ data: Record<string, unknown>; message: string }> = [];

beforeAll(async () => {
  db = await createTestDatabase();
  h = await guardrailHarness(db.url);
  check = checkGuardrails({ ...h.app.grants, accounts: h.app.store, audit: h.app.store, warn: (data, message) => warnings.push({ data, message }) });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await db?.drop();
});

/** As introspection asks: with the request's reason and ticket from its own read. */
const use = async (serviceAccountId: string, requestId: string, askedScope: string | null) => {
  const request = (await h.app.store.getRequest(requestId))!;
  return check({ serviceAccountId, requestId, request: { requesterId: request.requesterId, reason: request.reason, ticket: request.ticket }, credentialScopes: ['data:write'], askedScope, resourceServerId: 'orders-api' });
};

describe('checkGuardrails (PostgreSQL)', () => {
  it('does not trip when the scope asked is one the credential holds, or none was asked', async () => {
    const id = await h.grantFor('svc-bot', 'orders-db');
    expect(await use('svc-bot', id, 'data:write')).toBe(false);
    expect(await use('svc-bot', id, null)).toBe(false);
    expect((await h.app.store.getRequest(id))!.status).toBe('ACTIVE');
    expect((await h.app.store.getServiceAccount('svc-bot'))!.suspended).toBe(false);
  });

  it('trips on a scope used outside its task: the grant revoked, the account suspended, the rule recorded', async () => {
    const id = await h.grantFor('svc-bot', 'reports-db');
    expect(await use('svc-bot', id, 'integrations:write')).toBe(true);
    expect(await h.app.store.getRequest(id)).toMatchObject({ status: 'REVOKED', revokeCause: 'guardrail' });
    expect((await h.app.store.getServiceAccount('svc-bot'))!).toMatchObject({ suspended: true, suspendedReason: 'guardrail outside-task matched' });
    const events = [];
    for await (const e of h.app.store.streamAudit(0n)) if (e.action === 'guardrail.tripped') events.push(e);
    expect(events.at(-1)).toMatchObject({
      actor: 'policy',
      requestId: id,
      data: { rule: 'outside-task', reason: 'guardrail outside-task matched', resourceServer: 'orders-api', askedScope: 'integrations:write' },
    });
    expect(h.notifier.sent.find((n) => n.kind === 'guardrail.tripped')).toMatchObject({ rule: 'outside-task', suspended: true });
  });

  it('treats a rule that errors at run time as not matching, and warns about it', async () => {
    const id = await h.grantFor('svc-lite', 'orders-db');
    expect(await use('svc-lite', id, 'integrations:write')).toBe(false);
    expect((await h.app.store.getRequest(id))!.status).toBe('ACTIVE');
    expect(warnings).toEqual([{ data: expect.objectContaining({ guardrail: 'broken-rule', serviceAccountId: 'svc-lite' }), message: expect.stringContaining('treated as not matching') }]);
  });

  it('evaluates nothing for a request that is not the account\'s own', async () => {
    const id = await h.grantFor('alice', 'orders-db');
    expect(await use('svc-bot', id, 'integrations:write')).toBe(false);
    expect((await h.app.store.getRequest(id))!.status).toBe('ACTIVE');
  });
});
