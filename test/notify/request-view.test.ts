/** The platform-neutral card: what its state line says, which facts it shows, and who gets which buttons. */
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/actor.ts';
import type { AccessRequest, Decision } from '../../src/domain/request.ts';
import { buildRequestCard } from '../../src/notify/request-view.ts';
import { POLICY_YAML, testPolicy } from '../support/policy-fixture.ts';
import { at, makeDecision, makeRequest } from '../support/store-fixtures.ts';

const policy = testPolicy();
const now = at('2026-11-23T12:00:00.000Z');
const viewer = (id: string): Actor => ({ id, kind: 'person', scopes: ['request', 'approve'], via: 'slack' });
const request = (overrides: Partial<AccessRequest> = {}) =>
  makeRequest({ workflow: 'two-dba', required: 2, createdAt: at('2026-11-23T11:50:00.000Z'), riskScore: 35, riskSignals: ['prod tier', 'off-hours'], ...overrides });
const approval = (r: AccessRequest, approverId: string, overrides: Partial<Decision> = {}) =>
  makeDecision(r.id, { approverId, at: at('2026-11-23T11:55:00.000Z'), ...overrides });
const active = (overrides: Partial<AccessRequest> = {}) =>
  request({ status: 'ACTIVE', decidedAt: now, activatedAt: now, expiresAt: at('2026-11-23T14:32:00.000Z'), ...overrides });
const card = (r: AccessRequest, decisions: Decision[] = [], who?: string, p = policy) => buildRequestCard(r, decisions, p, now, who ? viewer(who) : undefined);

describe('the state line', () => {
  it('says how many approvals are missing and from whom while pending', () => {
    expect(card(request()).stateLine).toBe('Waiting for 2 more approvals from dba (0/2)');
  });

  it('names who approved so far', () => {
    const r = request();
    expect(card(r, [approval(r, 'carol')]).stateLine).toBe('Waiting for 1 more approval from dba (1/2: carol)');
  });

  it('says who approved and until when an active grant lasts', () => {
    const r = active();
    expect(card(r, [approval(r, 'carol'), approval(r, 'dave')]).stateLine).toBe('Approved by carol, dave — active until 14:32 UTC');
  });

  it('gives the date of an expiry on another day', () => {
    const r = active({ expiresAt: at('2026-11-24T01:15:00.000Z') });
    expect(card(r, [approval(r, 'carol'), approval(r, 'dave')]).stateLine).toContain('active until 2026-11-24 01:15 UTC');
  });

  it('says who denied and why', () => {
    const r = request({ status: 'DENIED', decidedAt: now, decidedBy: 'carol' });
    expect(card(r, [approval(r, 'carol', { verdict: 'deny', comment: 'not during the freeze' })]).stateLine).toBe('Denied by carol: not during the freeze');
  });

  it('says how and when a grant ended', () => {
    const r = request({ status: 'REVOKED', revokeCause: 'done', revokedAt: at('2026-11-23T11:40:00.000Z') });
    expect(card(r).stateLine).toBe('Revoked (done) at 11:40 UTC');
  });

  it('gives the provider reason of a failed grant', () => {
    expect(card(request({ status: 'GRANT_FAILED', statusReason: 'role "orders_rw" does not exist' })).stateLine).toBe('Grant failed: role "orders_rw" does not exist');
  });

  it('says a revoke is being retried, and why', () => {
    expect(card(request({ status: 'REVOKING', statusReason: 'revoke attempt 2 failed: connection refused' })).stateLine).toBe(
      'Revoking — retrying: revoke attempt 2 failed: connection refused',
    );
  });

  it('says a pending request was escalated, and to which step', () => {
    expect(card(request({ escalationLevel: 2 })).stateLine).toMatch(/^Waiting for 2 more approvals from .* · escalated \(step 2\)$/);
  });

  it('says timed out and cancelled plainly', () => {
    expect(card(request({ status: 'TIMED_OUT' })).stateLine).toBe('Timed out: nobody decided within the approval window; request again if you still need it');
    expect(card(request({ status: 'CANCELLED' })).stateLine).toBe('Cancelled');
  });

  it('says break-glass instead of approvers on an active break-glass grant', () => {
    expect(card(active({ breakGlass: true, required: 0, decidedBy: 'alice' })).stateLine).toBe('Break-glass — active until 14:32 UTC');
  });
});

describe('the facts', () => {
  it('shows requester, resource, duration, reason, ticket and risk', () => {
    expect(card(request()).facts).toEqual([
      { label: 'Requester', value: 'alice (alice@example.com)' },
      { label: 'Resource', value: 'prod-orders-db' },
      { label: 'Duration', value: '2h' },
      { label: 'Reason', value: 'INC-1234 stuck orders' },
      { label: 'Ticket', value: 'INC-1234' },
      { label: 'Risk', value: '35/100 (prod tier, off-hours)' },
    ]);
  });

  it('says what the grant gives, in the provider\'s words, when the policy was loaded with providers', () => {
    const described = testPolicy();
    for (const r of described.resources) r.access = `role of ${r.id}`;
    expect(card(request(), [], undefined, described).facts[2]).toEqual({ label: 'Access', value: 'role of prod-orders-db' });
    expect(card(request({ scopes: ['prod-orders-db', 'prod-billing-db'] }), [], undefined, described).facts[2]).toEqual({
      label: 'Access',
      value: 'prod-orders-db: role of prod-orders-db; prod-billing-db: role of prod-billing-db',
    });
  });

  it('leaves out the ticket when there is none', () => {
    expect(card(request({ ticket: null })).facts.map((f) => f.label)).not.toContain('Ticket');
  });

  it('names a service account and its owner as the agent, its reason as the task and its model reasoning', () => {
    const agent = card(request({ requesterId: 'svc-bot', requesterKind: 'service', agentReasoning: 'the deploy job needs the schema' }));
    expect(agent.title).toMatch(/^Agent access request: /);
    expect(agent.facts[0]).toEqual({ label: 'Agent', value: 'svc-bot (service account of carol)' });
    expect(agent.facts.map((f) => f.label)).toEqual(expect.arrayContaining(['Task', 'Model reasoning']));
    expect(agent.facts.map((f) => f.label)).not.toContain('Reason');
    expect(agent.facts.find((f) => f.label === 'Model reasoning')?.value).toBe('the deploy job needs the schema');
  });

  it('raises a banner for break-glass only', () => {
    expect(card(active({ breakGlass: true })).banner).toMatch(/^Break-glass: alice took this access without approval/);
    expect(card(active()).banner).toBeUndefined();
  });

  it('lists the approvals so far with verdict, time and comment', () => {
    const r = request();
    expect(card(r, [approval(r, 'carol', { comment: 'looks fine' })]).approvals).toEqual([
      { personId: 'carol', email: 'carol@example.com', verdict: 'approve', at: '2026-11-23T11:55:00.000Z', comment: 'looks fine' },
    ]);
  });
});

describe('the actions', () => {
  it('offers approve and deny on a pending request shown in a channel', () => {
    expect(card(request()).actions).toEqual(['approve', 'deny']);
  });

  it('offers approve and deny to an approver who has not decided yet', () => {
    expect(card(request(), [], 'dave').actions).toEqual(['approve', 'deny']);
  });

  it('offers nothing to an approver who already approved', () => {
    const r = request();
    expect(card(r, [approval(r, 'carol')], 'carol').actions).toEqual([]);
  });

  it('offers the requester nothing on their own pending request', () => {
    expect(card(request({ requesterId: 'carol' }), [], 'carol').actions).toEqual([]);
  });

  it('offers nothing to someone who is not an approver', () => {
    expect(card(request(), [], 'erin').actions).toEqual([]);
  });

  it('offers the requester done and extend on an active grant', () => {
    expect(card(active(), [], 'alice').actions).toEqual(['done', 'extend']);
  });

  it('adds reveal where a scope mints a credential (postgres mode ephemeral)', () => {
    const ephemeral = testPolicy(POLICY_YAML.replace('role: orders_rw }', 'role: orders_rw, mode: ephemeral }'));
    expect(card(active(), [], 'alice', ephemeral).actions).toEqual(['done', 'extend', 'reveal']);
  });

  it('adds reveal on a token scope: its grant is a stint_jit_ credential', () => {
    expect(card(active({ scopes: ['sandbox'], workflow: 'auto-only' }), [], 'alice').actions).toEqual(['done', 'extend', 'reveal']);
  });

  it('offers the owner of a service account what its requester gets', () => {
    expect(card(active({ requesterId: 'svc-bot', requesterKind: 'service', scopes: ['prod-billing-db'], workflow: 'one-sre' }), [], 'carol').actions).toEqual(['done', 'extend']);
  });

  it('offers an approver nothing on an active grant', () => {
    expect(card(active(), [], 'carol').actions).toEqual([]);
  });

  it('offers nothing once the request has ended', () => {
    for (const status of ['REVOKED', 'DENIED', 'CANCELLED', 'TIMED_OUT', 'GRANT_FAILED', 'REVOKING', 'APPROVED'] as const) {
      expect(card(request({ status })).actions).toEqual([]);
    }
  });
});
