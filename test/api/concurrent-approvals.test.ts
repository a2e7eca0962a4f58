/** Invariant 2 on real PostgreSQL: 100 concurrent final approvals → one transition, one audit event, 99 refusals. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify-chain.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { apiHarness, type ApiHarness } from '../support/api-harness.ts';
import { createTestDatabase } from '../support/test-database.ts';

const APPROVERS = Array.from({ length: 100 }, (_, i) => `p${i}`);
const POLICY = `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [dev] }
${APPROVERS.map((id) => `  - { id: ${id}, email: ${id}@example.com, groups: [ops] }`).join('\n')}
timezone: UTC
resources:
  - { id: orders-db, provider: { type: postgres, connection: "env:X", role: r }, maxDuration: 4h, workflow: one-ops }
workflows:
  one-ops: { eligible: [group:dev], approvers: [group:ops], required: 1 }
`;

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let h: ApiHarness;

beforeAll(async () => {
  db = await createTestDatabase();
  h = await apiHarness({ databaseUrl: db.url, policy: parsePolicy(POLICY, 'concurrency.yaml'), people: ['alice', ...APPROVERS] });
}, 120_000);
afterAll(async () => {
  await h?.close();
  await db?.drop();
});

describe('100 concurrent approvals of one request (PostgreSQL)', () => {
  it('make exactly one transition to APPROVED, one audit event for it, and 99 friendly refusals', async () => {
    const created = await h.call('alice', 'POST', '/api/v1/credentials/jit', { reason: 'race', scopes: ['orders-db'], duration: '1h' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const answers = await Promise.all(APPROVERS.map((who) => h.call(who, 'POST', `/api/v1/credentials/jit/${id}/approve`, {})));

    const approved = answers.filter((a) => a.status === 200);
    expect(approved).toHaveLength(1);
    expect(approved[0]!.body.status).toBe('APPROVED');
    const refused = answers.filter((a) => a.status !== 200);
    expect(refused).toHaveLength(99);
    for (const r of refused) {
      expect(r.status).toBe(409);
      expect(r.body.error.code).toBe('NOT_PENDING');
      expect(r.body.error.message).toMatch(/already APPROVED by p\d+/);
    }

    const events = await h.app.store.readAudit(0n, 10_000);
    expect(events.filter((e) => e.requestId === id && e.action === 'request.approved')).toHaveLength(1);
    expect(events.filter((e) => e.requestId === id && e.action === 'decision.approved')).toHaveLength(1);
    expect(await h.app.store.listDecisions(id)).toHaveLength(1);
    expect((await verifyChain(h.app.store.streamAudit(0n))).ok).toBe(true);
  }, 60_000);
});
