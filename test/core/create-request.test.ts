import { describe, expect, it } from 'vitest';
import { createRequest } from '../../src/core/create-request.ts';
import { ADMIN_TOKEN, coreHarness, person, service } from '../support/core-harness.ts';

const base = { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-1234 stuck orders' };

describe('createRequest', () => {
  it('leaves a request PENDING for its workflow, with the ticket taken from the reason', async () => {
    const h = coreHarness();
    const { request } = await createRequest(person('alice'), base, h.ports);
    expect(request).toMatchObject({ status: 'PENDING', workflow: 'two-dba', required: 2, ticket: 'INC-1234', durationSec: 3600 });
    expect(request.id).toMatch(/^jit_[0-9A-Z]{26}$/);
  });

  it('notifies the approvers, never the requester', async () => {
    const h = coreHarness();
    await createRequest(person('carol'), { ...base, identityId: 'carol' }, h.ports);
    const pending = h.notifier.sent.find((n) => n.kind === 'request.pending');
    expect(pending && 'approverIds' in pending ? pending.approverIds.sort() : []).toEqual(['dave', 'frank']);
  });

  it('writes request.created to the audit chain in the same transaction', async () => {
    const h = coreHarness();
    const { request } = await createRequest(person('alice'), base, h.ports);
    expect(h.store.state.audit.map((e) => [e.action, e.requestId])).toEqual([['request.created', request.id]]);
  });

  it('auto-approves when every condition holds, naming the workflow as decider', async () => {
    const h = coreHarness();
    const { request } = await createRequest(person('alice'), { ...base, scopes: ['dev-payments'], duration: '1h' }, h.ports);
    expect(request).toMatchObject({ status: 'APPROVED', autoApproved: true, decidedBy: 'policy:dev-auto', required: 0 });
    expect(h.store.state.audit.map((e) => e.action)).toEqual(['request.created', 'request.approved']);
  });

  it('sends to approvers what auto-approval does not cover', async () => {
    const h = coreHarness();
    const { request } = await createRequest(person('alice'), { ...base, scopes: ['dev-payments'], duration: '3h' }, h.ports);
    expect(request.status).toBe('PENDING');
  });

  it('denies at once, naming the failed condition, when the workflow has no approvers', async () => {
    const h = coreHarness();
    const result = await createRequest(person('alice'), { ...base, scopes: ['sandbox'], duration: '45m' }, h.ports);
    expect(result.request.status).toBe('DENIED');
    expect(result.deniedBecause).toMatch(/DURATION LESS_THAN/);
  });

  it.each([
    [{ duration: '0m' }, 'INVALID_DURATION'],
    [{ duration: '-1h' }, 'INVALID_DURATION'],
    [{ duration: '99999d' }, 'INVALID_DURATION'],
    [{ duration: '10s' }, 'INVALID_DURATION'],
    [{ duration: '5h' }, 'DURATION_TOO_LONG'],
    [{ scopes: ['prod-nothing'] }, 'UNKNOWN_SCOPE'],
    [{ scopes: ['prod-orders-db', 'dev-x'] }, 'MIXED_WORKFLOWS'],
    [{ reason: '   ' }, 'COMMENT_REQUIRED'],
  ])('refuses %j with %s and stores nothing', async (change, code) => {
    const h = coreHarness();
    await expect(createRequest(person('alice'), { ...base, ...change }, h.ports)).rejects.toMatchObject({ code });
    expect(h.store.state.requests.size).toBe(0);
    expect(h.store.state.audit).toHaveLength(0);
  });

  it('names the maximum when the duration is too long', async () => {
    const h = coreHarness();
    await expect(createRequest(person('alice'), { ...base, duration: '5h' }, h.ports)).rejects.toMatchObject({
      details: { maximum: '4h' },
    });
  });

  it('refuses a requester who is not eligible', async () => {
    const h = coreHarness();
    await expect(createRequest(person('mallory'), { ...base, identityId: 'mallory' }, h.ports)).rejects.toMatchObject({ code: 'NOT_ELIGIBLE' });
  });

  it('refuses acting for someone else without the admin scope', async () => {
    const h = coreHarness();
    await expect(createRequest(person('bob'), base, h.ports)).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('lets an admin token request on behalf of someone, audited as such', async () => {
    const h = coreHarness();
    const { request } = await createRequest(ADMIN_TOKEN, base, h.ports);
    expect(request).toMatchObject({ requesterId: 'alice', createdBy: 'bootstrap' });
    expect(h.store.state.audit[0]!.data).toMatchObject({ onBehalfOf: 'alice' });
  });

  it('caps a service account at its maxJitDuration', async () => {
    const h = coreHarness();
    await expect(
      createRequest(service('svc-bot'), { identityId: 'svc-bot', scopes: ['prod-billing-db'], duration: '1h', reason: 'nightly job' }, h.ports),
    ).rejects.toMatchObject({ code: 'DURATION_TOO_LONG', details: { maximum: '30m' } });
  });

  it('approves break-glass at once, flags it, raises the risk and notifies security', async () => {
    const h = coreHarness();
    const { request } = await createRequest(
      person('alice'),
      { ...base, duration: '30m', reason: 'orders are down, INC-9 paging', breakGlass: true },
      h.ports,
    );
    expect(request).toMatchObject({ status: 'APPROVED', breakGlass: true, decidedBy: 'break-glass' });
    expect(request.riskScore).toBeGreaterThanOrEqual(40);
    expect(h.notifier.sent.map((n) => n.kind)).toContain('breakglass.used');
  });

  it('records break-glass with its facts in the creation and approval audit events: notify targets, reviewers, who was on call', async () => {
    const yaml = (await import('../support/policy-fixture.ts')).POLICY_YAML.replace(
      'breakGlass: { eligible: [group:sre], maxDuration: 1h, notify: [group:security] }',
      'oncall:\n  dba-primary: { rotation: [carol, dave], shift: 1w, handoff: "2026-11-16T09:00" }\nbreakGlass: { eligible: [group:sre], maxDuration: 1h, notify: [group:security, oncall:dba-primary] }',
    );
    const h = coreHarness(yaml);
    const { request } = await createRequest(person('alice'), { ...base, duration: '30m', reason: 'INC-9 orders are down, paging', breakGlass: true }, h.ports);
    const facts = {
      breakGlass: true,
      reason: 'INC-9 orders are down, paging',
      ticket: 'INC-9',
      riskScore: request.riskScore,
      durationSec: 1800,
      notify: ['group:security', 'oncall:dba-primary'],
      reviewers: ['group:security'],
      reviewerIds: ['erin'],
      onCall: { 'dba-primary': ['dave'] },
    };
    const events = h.store.state.audit.filter((e) => e.action === 'request.created' || e.action === 'request.approved');
    expect(events).toEqual([expect.objectContaining({ data: expect.objectContaining(facts) }), expect.objectContaining({ data: expect.objectContaining(facts) })]);
    expect(h.notifier.sent).toContainEqual(expect.objectContaining({ kind: 'breakglass.used', notify: facts.notify, reviewerIds: ['erin'] }));
  });

  it('refuses break-glass with a short reason', async () => {
    const h = coreHarness();
    await expect(createRequest(person('alice'), { ...base, duration: '30m', reason: 'urgent', breakGlass: true }, h.ports)).rejects.toMatchObject({
      code: 'COMMENT_REQUIRED',
    });
  });

  it('refuses break-glass to people outside breakGlass.eligible and to service accounts', async () => {
    const h = coreHarness();
    const reason = 'orders are down, INC-9 paging everyone';
    await expect(createRequest(person('carol'), { ...base, identityId: 'carol', duration: '30m', reason, breakGlass: true }, h.ports)).rejects.toMatchObject({
      code: 'NOT_ELIGIBLE',
    });
    await expect(
      createRequest(service('svc-bot'), { identityId: 'svc-bot', scopes: ['prod-billing-db'], duration: '10m', reason, breakGlass: true }, h.ports),
    ).rejects.toMatchObject({ code: 'NOT_ELIGIBLE' });
  });

  it('warns about notification channels this deployment has not configured', async () => {
    const h = coreHarness();
    const { warnings } = await createRequest(person('alice'), { ...base, notifyChannels: ['slack', 'email'] }, h.ports);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('email');
  });
});
