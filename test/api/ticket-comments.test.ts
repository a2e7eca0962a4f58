/** Comments on the request's ticket when access is granted and revoked (issue 12); a failing comment never fails either. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { revokeGrant } from '../../src/core/revoke-grant.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { apiHarness, type ApiHarness } from '../support/api-harness.ts';
import { ticketPolicyYaml } from '../support/ticket-fixture.ts';
import { startFakeJira, type FakeJira } from '../fakes/jira-api.ts';

const BASE = '/api/v1/credentials/jit';
let jira: FakeJira;
let h: ApiHarness;

beforeAll(async () => {
  jira = await startFakeJira();
  h = await apiHarness({
    policy: parsePolicy(ticketPolicyYaml(jira.url, 'https://unused.service-now.com'), 'tickets.yaml'),
    people: ['alice', 'carol', 'erin'],
    env: { JIRA_EMAIL: jira.email, JIRA_TOKEN: jira.token, SN_USER: 'x', SN_PASSWORD: 'y' },
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await jira?.close();
});
beforeEach(() => {
  jira.reset();
  jira.issues.set('INC-1234', { summary: 'Orders stuck in PENDING', status: 'In Progress' });
});

async function approved(scope = 'orders-api', reason = 'INC-1234 stuck orders'): Promise<string> {
  const created = await h.call('alice', 'POST', BASE, { reason, scopes: [scope], duration: '30m' });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect((await h.call('carol', 'POST', `${BASE}/${created.body.id}/approve`, {})).body.status).toBe('APPROVED');
  return created.body.id as string;
}

const events = async (id: string, action: string) => (await h.app.store.readAudit(0n, 10_000)).filter((e) => e.requestId === id && e.action === action);

describe('ticket comments', () => {
  it('comments on activation with scopes, requester, expiry and request id, and on revocation with the cause', async () => {
    const id = await approved();
    const { status, request } = await activateGrant(id, h.app.grants);
    expect(status).toBe('ACTIVE');
    expect(jira.comments.map((c) => [c.key, c.text])).toEqual([
      ['INC-1234', `Stint: access to orders-api granted to alice@example.com until ${request!.expiresAt!.toISOString()} (request ${id})`],
    ]);
    await revokeGrant(id, 'revoked', 'erin', h.app.grants);
    expect(jira.comments[1]).toMatchObject({ key: 'INC-1234', text: `Stint: access of alice@example.com to orders-api revoked (revoked) (request ${id})` });
    expect((await events(id, 'ticket.commented')).map((e) => e.data.event)).toEqual(['granted', 'revoked']);
  });

  it('audits ticket.comment_failed and still activates and revokes when Jira refuses the comment', async () => {
    const id = await approved();
    jira.throttle('/rest/api/3/issue', 10, { status: 500 });
    expect((await activateGrant(id, h.app.grants)).status).toBe('ACTIVE');
    expect((await revokeGrant(id, 'done', 'alice', h.app.grants)).status).toBe('REVOKED');
    expect(jira.comments).toHaveLength(0);
    const failed = await events(id, 'ticket.comment_failed');
    expect(failed.map((e) => e.data.event)).toEqual(['granted', 'revoked']);
    expect(String(failed[0]!.data.error)).toContain('Jira answered HTTP 500');
    expect(JSON.stringify(failed.map((e) => e.data))).not.toContain(jira.token);
  });

  it('does not comment for a workflow without ticket:', async () => {
    const id = await approved('plain-api', 'INC-1234 unrelated');
    expect((await activateGrant(id, h.app.grants)).status).toBe('ACTIVE');
    await revokeGrant(id, 'revoked', 'erin', h.app.grants);
    expect(jira.calls).toHaveLength(0);
    expect(await events(id, 'ticket.commented')).toHaveLength(0);
  });
});
