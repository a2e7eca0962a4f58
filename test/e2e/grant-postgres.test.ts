/**
 * A request approved by two DBAs really grants the PostgreSQL role, and revoking really takes it away —
 * the real provider against a real target database, driven through the REST API and the grant use cases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import type { GrantPorts } from '../../src/core/ports.ts';
import { revokeGrant } from '../../src/core/revoke-grant.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { openPostgresTarget, type PostgresTarget } from '../providers/postgres-target.ts';
import { apiHarness, type ApiHarness } from '../support/api-harness.ts';
import { sharedRedisEnv } from '../support/test-redis.ts';

let target: PostgresTarget;
let h: ApiHarness;
let account: string;
let role: string;

beforeAll(async () => {
  target = await openPostgresTarget();
  role = await target.createRole('orders_rw');
  account = await target.createRole('alice', 'LOGIN');
  const policy = parsePolicy(
    `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [sre], accounts: { postgres: ${account} } }
  - { id: carol, email: carol@example.com, groups: [dba] }
  - { id: dave, email: dave@example.com, groups: [dba] }
timezone: UTC
resources:
  - id: orders-db
    provider: { type: postgres, connection: "env:STINT_TEST_TARGET", role: ${role}, mode: membership }
    maxDuration: 4h
    workflow: two-dba
workflows:
  two-dba: { eligible: [group:sre], approvers: [group:dba], required: 2 }
`,
    'grant-e2e.yaml',
  );
  h = await apiHarness({ policy, people: ['alice', 'carol', 'dave'], env: { STINT_TEST_TARGET: target.database.url, ...sharedRedisEnv() } });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await target?.close();
});

const isMember = async () =>
  (await target.admin.query<{ member: boolean }>(`SELECT pg_has_role($1, $2, 'member') AS member`, [account, role])).rows[0]!.member;

describe('grants on PostgreSQL, end to end', () => {
  it('grants the role on approval and removes it on revoke, all audited', async () => {
    const created = await h.call('alice', 'POST', '/api/v1/credentials/jit', { reason: 'INC-1 stuck orders', scopes: ['orders-db'], duration: '1h' });
    const id = created.body.id as string;
    await h.call('carol', 'POST', `/api/v1/credentials/jit/${id}/approve`, {});
    expect((await h.call('dave', 'POST', `/api/v1/credentials/jit/${id}/approve`, {})).body.status).toBe('APPROVED');
    expect(await isMember()).toBe(false);

    const ports: GrantPorts = { ...h.app.core, providers: h.app.providers };
    expect((await activateGrant(id, ports)).status).toBe('ACTIVE');
    expect(await isMember()).toBe(true);
    const view = (await h.call('alice', 'GET', `/api/v1/credentials/jit/${id}`)).body;
    expect(view).toMatchObject({ status: 'ACTIVE', activatedAt: expect.any(String), expiresAt: expect.any(String) });

    expect((await revokeGrant(id, 'done', 'alice', ports)).status).toBe('REVOKED');
    expect(await isMember()).toBe(false);
    const actions = (await h.app.store.readAudit(0n, 1000)).filter((e) => e.requestId === id).map((e) => e.action);
    expect(actions).toEqual([
      'request.created',
      'decision.approved',
      'decision.approved',
      'request.approved',
      'grant.scope_granted',
      'grant.activated',
      'grant.revoking',
      'grant.scope_revoked',
      'grant.revoked',
    ]);
  }, 60_000);

  it('activates right after the last approval when background work runs, and ends on "done" over REST', async () => {
    await h.app.startBackground({ workers: true });
    const created = await h.call('alice', 'POST', '/api/v1/credentials/jit', { reason: 'INC-2 more stuck orders', scopes: ['orders-db'], duration: '1h' });
    const id = created.body.id as string;
    await h.call('carol', 'POST', `/api/v1/credentials/jit/${id}/approve`, {});
    await h.call('dave', 'POST', `/api/v1/credentials/jit/${id}/approve`, {});
    const deadline = Date.now() + 15_000;
    while ((await h.call('alice', 'GET', `/api/v1/credentials/jit/${id}`)).body.status !== 'ACTIVE') {
      if (Date.now() > deadline) throw new Error('not activated within 15 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await isMember()).toBe(true);

    const notYours = await h.call('carol', 'POST', `/api/v1/credentials/jit/${id}/done`, {});
    expect([notYours.status, notYours.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const notAnApprover = await h.call('alice', 'POST', `/api/v1/credentials/jit/${id}/revoke`, {});
    expect([notAnApprover.status, notAnApprover.body.error.code]).toEqual([403, 'FORBIDDEN']);

    const done = await h.call('alice', 'POST', `/api/v1/credentials/jit/${id}/done`, { comment: 'fixed' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'REVOKED', revokeCause: 'done', revokedAt: expect.any(String) });
    expect(await isMember()).toBe(false);
  }, 60_000);
});
