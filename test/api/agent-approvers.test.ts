/**
 * Agent approvers (issue 10) over REST: a service account decides only where the workflow says
 * `approverTier: ai_review` and names it in `aiReview.reviewers`; never above `aiReview.maxRisk`, never on
 * break-glass, never for itself or its owner, never after `escalate`; it always gives its reasoning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/core/manage-tokens.ts';
import { buildRequestCard } from '../../src/notify/request-view.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { apiHarness, type ApiHarness } from '../support/api-harness.ts';

const POLICY = `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [dev] }
  - { id: bob, email: bob@example.com, groups: [dev] }
  - { id: carol, email: carol@example.com, groups: [ops] }
  - { id: erin, email: erin@example.com, groups: [security] }
admins: [group:security]
timezone: UTC
risk: { prodTier: 40 }
resources:
  - { id: dev-db, provider: { type: postgres, connection: "env:X", role: r }, maxDuration: 4h, workflow: ai }
  - { id: prod-db, provider: { type: postgres, connection: "env:X", role: r }, maxDuration: 4h, workflow: ai, tier: prod }
  - { id: other-db, provider: { type: postgres, connection: "env:X", role: r }, maxDuration: 4h, workflow: people-only }
  - { id: cache-db, provider: { type: postgres, connection: "env:X", role: r }, maxDuration: 4h, workflow: agent-auto }
workflows:
  agent-auto:
    eligible: [group:dev]
    autoApprove:
      conditions: [{ type: RISK_SCORE, operator: LESS_THAN, value: 30 }, { type: DURATION, operator: LESS_THAN, value: 30m }]
      when: 'request.hour >= 8 && request.hour < 20 && request.requester.startsWith("svc-")'
    approvers: [group:ops]
  ai:
    eligible: [group:dev]
    approvers: [group:ops]
    required: 1
    approverTier: ai_review
    aiReview: { reviewers: [svc-reviewer, svc-alice-reviewer], maxRisk: 30 }
  people-only: { eligible: [group:dev], approvers: [group:ops], required: 1 }
breakGlass: { eligible: [group:dev], maxDuration: 1h, notify: [group:security] }
serviceAccounts:
  - { id: svc-reviewer, owner: erin, maxJitDuration: 1h, resources: [dev-db] }
  - { id: svc-alice-reviewer, owner: alice, maxJitDuration: 1h, resources: [dev-db] }
  - { id: svc-builder, owner: bob, maxJitDuration: 1h, resources: [dev-db, cache-db] }
`;

let h: ApiHarness;
const BASE = '/api/v1/credentials/jit';

beforeAll(async () => {
  const policy = parsePolicy(POLICY, 'agents.yaml');
  h = await apiHarness({ policy, people: ['alice', 'bob', 'carol', 'erin'] });
  // A Wednesday, 10:00 UTC: no off-hours risk, so dev-db scores 0 and prod-db 40.
  h.clock.set(new Date('2026-11-25T10:00:00Z'));
  for (const id of ['svc-reviewer', 'svc-alice-reviewer']) {
    h.tokens[id] = (await issueToken({ ownerId: id, issuedBy: 'test', scopes: ['approve'] }, { tokens: h.app.store, clock: h.clock, policy })).token;
  }
  h.tokens['svc-builder'] = (await issueToken({ ownerId: 'svc-builder', issuedBy: 'test' }, { tokens: h.app.store, clock: h.clock, policy })).token;
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function request(who: string, scope: string, extra: Record<string, unknown> = {}): Promise<string> {
  const created = await h.call(who, 'POST', BASE, { reason: 'INC-7 stuck orders', scopes: [scope], duration: '30m', ...extra });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id as string;
}

async function auditOf(id: string, action: string) {
  return (await h.app.store.readAudit(0n, 10_000)).filter((e) => e.requestId === id && e.action === action);
}

describe('an agent approver (approverTier: ai_review)', () => {
  it('approves a low-risk request, and its reasoning lands in the audit event and on the request view', async () => {
    const id = await request('bob', 'dev-db');
    const approved = await h.call('svc-reviewer', 'POST', `${BASE}/${id}/approve`, { reasoning: 'read-only task, ticket in progress, low risk' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.status).toBe('APPROVED');
    expect(approved.body.approvers).toContainEqual(expect.objectContaining({ id: 'svc-reviewer', status: 'approved', comment: 'read-only task, ticket in progress, low risk' }));
    const [event] = await auditOf(id, 'decision.approved');
    expect(event?.actor).toBe('svc-reviewer');
    expect(event?.data).toMatchObject({ agent: true, reasoning: 'read-only task, ticket in progress, low risk' });
  });

  it('must give its reasoning: without it nothing is decided (COMMENT_REQUIRED)', async () => {
    const id = await request('bob', 'dev-db');
    const refused = await h.call('svc-reviewer', 'POST', `${BASE}/${id}/approve`, {});
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('COMMENT_REQUIRED');
    expect((await h.call('bob', 'GET', `${BASE}/${id}`)).body.status).toBe('PENDING');
  });

  it('is refused at or above aiReview.maxRisk, with the score and the ceiling in the message', async () => {
    const id = await request('bob', 'prod-db');
    const refused = await h.call('svc-reviewer', 'POST', `${BASE}/${id}/approve`, { reasoning: 'looks fine' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('NOT_ELIGIBLE');
    expect(refused.body.error.message).toContain('Risk score 40 is not below aiReview.maxRisk 30');
    expect(await auditOf(id, 'decision.approved')).toEqual([]);
  });

  it('is refused on a break-glass request (and not merely told it is already approved)', async () => {
    const id = await request('alice', 'dev-db', { breakGlass: true, reason: 'prod is down and the on-call DBA is unreachable' });
    const refused = await h.call('svc-reviewer', 'POST', `${BASE}/${id}/approve`, { reasoning: 'ok' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('NOT_ELIGIBLE');
    expect(refused.body.error.message).toMatch(/never decide or review break-glass/);
  });

  it('never decides a request of its own owner (the owner counts as the requester)', async () => {
    const id = await request('alice', 'dev-db');
    const refused = await h.call('svc-alice-reviewer', 'POST', `${BASE}/${id}/approve`, { reasoning: 'fine' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('SELF_APPROVAL');
  });

  it('cannot see, let alone decide, a request of a workflow without ai_review', async () => {
    const id = await request('bob', 'other-db');
    const refused = await h.call('svc-reviewer', 'POST', `${BASE}/${id}/approve`, { reasoning: 'fine' });
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe('NOT_FOUND');
  });

  it('lists as awaiting only what it may decide', async () => {
    const low = await request('bob', 'dev-db');
    const high = await request('bob', 'prod-db');
    const listed = await h.call('svc-reviewer', 'GET', '/api/v1/requests?view=awaiting');
    expect(listed.status).toBe(200);
    const ids = (listed.body.requests as Array<{ id: string }>).map((r) => r.id);
    expect(ids).toContain(low);
    expect(ids).not.toContain(high);
  });
});

describe('escalating to a human', () => {
  it('hands the request to people: agents are refused from then on, a person decides, the card says who and why', async () => {
    const id = await request('bob', 'dev-db');
    const before = h.notifier.sent.length;
    const escalated = await h.call('svc-reviewer', 'POST', `${BASE}/${id}/escalate`, { reasoning: 'the task asks for writes I cannot judge' });
    expect(escalated.status, JSON.stringify(escalated.body)).toBe(200);
    expect(escalated.body).toMatchObject({ status: 'PENDING', humanOnly: true, statusReason: 'Escalated to a human by svc-reviewer: the task asks for writes I cannot judge' });
    expect(h.notifier.sent.slice(before)).toContainEqual(expect.objectContaining({ kind: 'request.reminder', approverIds: ['carol'] }));
    expect(await auditOf(id, 'request.escalated_to_human')).toHaveLength(1);

    // A repeat changes nothing and audits nothing more.
    expect((await h.call('svc-reviewer', 'POST', `${BASE}/${id}/escalate`, { reasoning: 'again' })).status).toBe(200);
    expect(await auditOf(id, 'request.escalated_to_human')).toHaveLength(1);

    const agent = await h.call('svc-reviewer', 'POST', `${BASE}/${id}/approve`, { reasoning: 'changed my mind' });
    expect(agent.status).toBe(403);
    expect(agent.body.error.message).toContain('escalated to a human');

    const card = buildRequestCard(await h.app.store.getRequest(id).then((r) => r!), [], h.app.policy.current(), h.clock.now());
    expect(card.stateLine).toMatch(/^Escalated to a human by svc-reviewer: the task asks for writes I cannot judge · waiting for 1 more approval from ops/);

    const person = await h.call('carol', 'POST', `${BASE}/${id}/approve`, {});
    expect(person.body.status).toBe('APPROVED');
    expect(person.body.statusReason).toBeNull();
  });

  it('needs reasoning', async () => {
    const id = await request('bob', 'dev-db');
    const refused = await h.call('svc-reviewer', 'POST', `${BASE}/${id}/escalate`, {});
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'INVALID_BODY', details: { field: 'reasoning' } });
  });
});

describe('an agent request', () => {
  it('is approved by the policy alone when the CEL conditions over time, risk and requester hold, and waits for a person otherwise', async () => {
    const quick = await h.call('svc-builder', 'POST', BASE, { reason: 'flush stale cache', scopes: ['cache-db'], duration: '10m', reasoning: 'stale prices' });
    expect(quick.status).toBe(201);
    expect(quick.body).toMatchObject({ autoApproved: true, decidedBy: 'policy:agent-auto', approvers: [] });
    const long = await h.call('svc-builder', 'POST', BASE, { reason: 'rebuild the cache', scopes: ['cache-db'], duration: '45m' });
    expect(long.body).toMatchObject({ status: 'PENDING', autoApproved: false });
    h.clock.set(new Date('2026-11-25T22:00:00Z'));
    try {
      const night = await h.call('svc-builder', 'POST', BASE, { reason: 'flush stale cache', scopes: ['cache-db'], duration: '10m' });
      expect(night.body).toMatchObject({ status: 'PENDING', autoApproved: false });
    } finally {
      h.clock.set(new Date('2026-11-25T10:00:00Z'));
    }
  });

  it('shows the agent, its task and its model reasoning, distinctly from a person request', async () => {
    const id = await request('svc-builder', 'dev-db', { reason: 'rebuild the price index for job 42', reasoning: 'the index job failed with permission denied on dev-db' });
    const view = (await h.call('svc-builder', 'GET', `${BASE}/${id}`)).body;
    expect(view).toMatchObject({ requesterKind: 'service', agentReasoning: 'the index job failed with permission denied on dev-db' });
    const card = buildRequestCard((await h.app.store.getRequest(id))!, [], h.app.policy.current(), h.clock.now());
    expect(card.title).toBe('Agent access request: dev-db');
    expect(card.facts).toEqual(
      expect.arrayContaining([
        { label: 'Agent', value: 'svc-builder (service account of bob)' },
        { label: 'Task', value: 'rebuild the price index for job 42' },
        { label: 'Model reasoning', value: 'the index job failed with permission denied on dev-db' },
      ]),
    );
    const [created] = await auditOf(id, 'request.created');
    expect(created?.data).toMatchObject({ agentReasoning: 'the index job failed with permission denied on dev-db' });
  });
});
