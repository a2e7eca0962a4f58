import { describe, expect, it } from 'vitest';
import { cancelRequest } from '../../src/core/cancel-request.ts';
import { createRequest } from '../../src/core/create-request.ts';
import { decideRequest } from '../../src/core/decide-request.ts';
import { coreHarness, person, service } from '../support/core-harness.ts';

async function pendingProdRequest(requester = 'alice') {
  const h = coreHarness();
  const { request } = await createRequest(person(requester), { identityId: requester, scopes: ['prod-orders-db'], duration: '1h', reason: 'stuck orders' }, h.ports);
  return { h, id: request.id };
}

describe('decideRequest', () => {
  it('needs N distinct approvals: one of two leaves it PENDING, the second approves', async () => {
    const { h, id } = await pendingProdRequest();
    const first = await decideRequest(person('carol'), { requestId: id, verdict: 'approve' }, h.ports);
    expect(first.request.status).toBe('PENDING');
    const second = await decideRequest(person('dave'), { requestId: id, verdict: 'approve' }, h.ports);
    expect(second.request).toMatchObject({ status: 'APPROVED', decidedBy: 'dave' });
  });

  it('counts a repeated approval by the same approver once, and answers it unchanged', async () => {
    const { h, id } = await pendingProdRequest();
    await decideRequest(person('carol'), { requestId: id, verdict: 'approve' }, h.ports);
    const again = await decideRequest(person('carol'), { requestId: id, verdict: 'approve' }, h.ports);
    expect(again).toMatchObject({ changed: false, request: { status: 'PENDING' } });
    expect(h.store.state.decisions).toHaveLength(1);
  });

  it('answers a repeated approval unchanged even after the request moved on', async () => {
    const { h, id } = await pendingProdRequest();
    await decideRequest(person('carol'), { requestId: id, verdict: 'approve' }, h.ports);
    await decideRequest(person('dave'), { requestId: id, verdict: 'approve' }, h.ports);
    const late = await decideRequest(person('carol'), { requestId: id, verdict: 'approve' }, h.ports);
    expect(late).toMatchObject({ changed: false, request: { status: 'APPROVED' } });
  });

  it('refuses a requester approving their own request', async () => {
    const { h, id } = await pendingProdRequest('carol');
    await expect(decideRequest(person('carol'), { requestId: id, verdict: 'approve' }, h.ports)).rejects.toMatchObject({ code: 'SELF_APPROVAL' });
    expect(h.store.state.decisions).toHaveLength(0);
  });

  it('refuses the owner of a service account approving its request', async () => {
    const h = coreHarness();
    const { request } = await createRequest(service('svc-bot'), { identityId: 'svc-bot', scopes: ['prod-billing-db'], duration: '10m', reason: 'job' }, h.ports);
    await expect(decideRequest(person('carol'), { requestId: request.id, verdict: 'approve' }, h.ports)).rejects.toMatchObject({ code: 'SELF_APPROVAL' });
    const ok = await decideRequest(person('dave'), { requestId: request.id, verdict: 'approve' }, h.ports);
    expect(ok.request.status).toBe('APPROVED');
  });

  it('refuses an approver outside the workflow', async () => {
    const { h, id } = await pendingProdRequest();
    await expect(decideRequest(person('bob'), { requestId: id, verdict: 'approve' }, h.ports)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(decideRequest(person('erin'), { requestId: id, verdict: 'approve' }, h.ports)).rejects.toMatchObject({ code: 'NOT_ELIGIBLE' });
  });

  it('checks eligibility at click time against the current policy', async () => {
    // erin (an admin, so she still sees the request) is a DBA when the request is made, and no longer when she clicks.
    const { POLICY_YAML, testPolicy } = await import('../support/policy-fixture.ts');
    const asDba = POLICY_YAML.replace('{ id: erin, email: erin@example.com, groups: [security] }', '{ id: erin, email: erin@example.com, groups: [security, dba] }');
    const h = coreHarness(asDba);
    const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'x' }, h.ports);
    h.policy.replace(testPolicy(POLICY_YAML));
    await expect(decideRequest(person('erin'), { requestId: request.id, verdict: 'approve' }, h.ports)).rejects.toMatchObject({ code: 'NOT_ELIGIBLE' });
    expect(h.store.state.decisions).toHaveLength(0);
  });

  it('denies with one deny, which needs a comment', async () => {
    const { h, id } = await pendingProdRequest();
    await expect(decideRequest(person('carol'), { requestId: id, verdict: 'deny' }, h.ports)).rejects.toMatchObject({ code: 'COMMENT_REQUIRED' });
    const denied = await decideRequest(person('carol'), { requestId: id, verdict: 'deny', comment: 'use the replica' }, h.ports);
    expect(denied.request.status).toBe('DENIED');
  });

  it('refuses deciding a cancelled request with NOT_PENDING naming the state', async () => {
    const { h, id } = await pendingProdRequest();
    await cancelRequest(person('alice'), { requestId: id }, h.ports);
    await expect(decideRequest(person('carol'), { requestId: id, verdict: 'approve' }, h.ports)).rejects.toMatchObject({
      code: 'NOT_PENDING',
      details: { status: 'CANCELLED' },
    });
  });

  it('refuses a contradicting second decision by the same approver', async () => {
    const { h, id } = await pendingProdRequest();
    await decideRequest(person('carol'), { requestId: id, verdict: 'approve' }, h.ports);
    await expect(decideRequest(person('carol'), { requestId: id, verdict: 'deny', comment: 'changed my mind' }, h.ports)).rejects.toMatchObject({
      code: 'ALREADY_DECIDED',
    });
  });

  it('audits each vote and the final transition, and the chain links', async () => {
    const { h, id } = await pendingProdRequest();
    await decideRequest(person('carol'), { requestId: id, verdict: 'approve' }, h.ports);
    await decideRequest(person('dave'), { requestId: id, verdict: 'approve', comment: 'ok' }, h.ports);
    const audit = h.store.state.audit;
    expect(audit.map((e) => e.action)).toEqual(['request.created', 'decision.approved', 'decision.approved', 'request.approved']);
    for (let i = 1; i < audit.length; i++) expect(audit[i]!.prevHash).toBe(audit[i - 1]!.hash);
  });

  it('gives one decision and friendly refusals to many concurrent final approvals', async () => {
    const h = coreHarness();
    const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['prod-billing-db'], duration: '1h', reason: 'x' }, h.ports);
    const results = await Promise.allSettled(
      ['bob', 'carol', 'dave', 'frank'].map((id) => decideRequest(person(id), { requestId: request.id, verdict: 'approve' }, h.ports)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['NOT_PENDING', 'NOT_PENDING', 'NOT_PENDING']);
    expect(h.store.state.audit.filter((e) => e.action === 'request.approved')).toHaveLength(1);
  });
});

describe('cancelRequest', () => {
  it('lets the requester withdraw a pending request, audited', async () => {
    const { h, id } = await pendingProdRequest();
    const cancelled = await cancelRequest(person('alice'), { requestId: id }, h.ports);
    expect(cancelled.status).toBe('CANCELLED');
    expect(h.store.state.audit.at(-1)!.action).toBe('request.cancelled');
  });

  it('refuses an approver cancelling someone else’s request', async () => {
    const { h, id } = await pendingProdRequest();
    await expect(cancelRequest(person('carol'), { requestId: id }, h.ports)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('lets a policy admin cancel', async () => {
    const { h, id } = await pendingProdRequest();
    expect((await cancelRequest(person('erin'), { requestId: id }, h.ports)).status).toBe('CANCELLED');
  });
});
