/**
 * A pending request moving along its SLA (core/escalate-request.ts): each escalation step reached once and in
 * order, with who is on call resolved at that moment; the approval window ending in TIMED_OUT; a decision
 * stopping what remains; stale and repeated timers doing nothing.
 */
import { describe, expect, it } from 'vitest';
import { createRequest } from '../../src/core/create-request.ts';
import { decideRequest } from '../../src/core/decide-request.ts';
import { escalateRequest } from '../../src/core/escalate-request.ts';
import { reconcileDue } from '../../src/core/reconcile-due.ts';
import { coreHarness, person } from '../support/core-harness.ts';
import { POLICY_YAML } from '../support/policy-fixture.ts';

const YAML = `${POLICY_YAML}
oncall:
  dba-primary: { rotation: [dave, frank], shift: 1d, handoff: "2026-11-23T09:00", timezone: UTC }
`.replace(
  `    approvers: [group:dba]
    required: 2
    approvalWindow: 30m`,
  `    approvers: [group:dba]
    required: 2
    approvalWindow: 30m
    escalation:
      - { after: 5m, notify: [oncall:dba-primary, channel:slack:C0ESCALATE] }
      - { after: 15m, notify: [group:security], addApprovers: [group:security] }`,
);

async function pending(h: ReturnType<typeof coreHarness>) {
  const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-1 stuck orders' }, h.ports);
  return request.id;
}

const escalations = (h: ReturnType<typeof coreHarness>, id: string) =>
  h.notifier.sent.flatMap((n) => (n.kind === 'request.escalated' && n.request.id === id ? [{ level: n.level, people: n.people, notify: n.notify }] : []));

describe('escalateRequest', () => {
  it('sets the first reminder (halfway to the first step) as the next action and its timer when the request is created', async () => {
    const h = coreHarness(YAML);
    const id = await pending(h);
    const at = new Date(h.clock.now().getTime() + 150_000);
    expect((await h.store.getRequest(id))!.nextActionAt).toEqual(at);
    expect(h.scheduler.of(id)).toContainEqual({ kind: 'escalate', requestId: id, key: 'r0', at });
  });

  it('does nothing before anything is due, however often its timer fires', async () => {
    const h = coreHarness(YAML);
    const id = await pending(h);
    h.clock.advance(2 * 60_000);
    expect(await escalateRequest(id, h.ports)).toBe('nothing');
    expect(await escalateRequest(id, h.ports)).toBe('nothing');
    expect(escalations(h, id)).toEqual([]);
    expect((await h.store.getRequest(id))!.escalationLevel).toBe(0);
  });

  it('reminds the approvers who have not decided halfway through each stage, once', async () => {
    const h = coreHarness(YAML);
    const id = await pending(h);
    await decideRequest(person('carol'), { requestId: id, verdict: 'approve' }, h.ports);
    h.clock.advance(150_000);
    expect(await escalateRequest(id, h.ports)).toBe('reminded');
    expect(await escalateRequest(id, h.ports)).toBe('nothing');
    const reminders = () => h.notifier.sent.flatMap((n) => (n.kind === 'request.reminder' ? [n.approverIds] : []));
    expect(reminders()).toEqual([['dave', 'frank']]);
    expect((await h.store.getRequest(id))!.nextActionAt).toEqual(new Date(h.clock.now().getTime() + 150_000));
    // Stage 2 runs from 5 to 15 minutes: its reminder falls at 10.
    h.clock.advance(150_000);
    expect(await escalateRequest(id, h.ports)).toBe('escalated');
    h.clock.advance(5 * 60_000);
    expect(await escalateRequest(id, h.ports)).toBe('reminded');
    expect(reminders()).toHaveLength(2);
    expect(h.store.state.audit.filter((e) => e.action === 'request.reminded')).toHaveLength(2);
  });

  it('reaches each step once and in order, resolving who is on call at that moment, and audits each', async () => {
    const h = coreHarness(YAML);
    const id = await pending(h);
    h.clock.advance(5 * 60_000);
    expect(await escalateRequest(id, h.ports)).toBe('escalated');
    expect(await escalateRequest(id, h.ports)).toBe('nothing');
    // 10:05 on 2026-11-23: dave's shift (handoffs daily at 09:00).
    expect(escalations(h, id)).toEqual([{ level: 1, people: ['dave'], notify: ['oncall:dba-primary', 'channel:slack:C0ESCALATE'] }]);
    expect(h.scheduler.of(id)).toContainEqual({ kind: 'escalate', requestId: id, key: 'r1', at: new Date(h.clock.now().getTime() + 5 * 60_000) });
    h.clock.advance(10 * 60_000);
    expect(await escalateRequest(id, h.ports)).toBe('escalated');
    expect(escalations(h, id).map((e) => e.level)).toEqual([1, 2]);
    expect((await h.store.getRequest(id))!).toMatchObject({ escalationLevel: 2, status: 'PENDING' });
    const audit = h.store.state.audit.filter((e) => e.action === 'request.escalated');
    expect(audit.map((e) => (e.data as { level: number }).level)).toEqual([1, 2]);
  });

  it('a worker that was down through both steps catches up in order, each step once', async () => {
    const h = coreHarness(YAML);
    const id = await pending(h);
    h.clock.advance(20 * 60_000);
    expect(await escalateRequest(id, h.ports)).toBe('escalated');
    expect(escalations(h, id).map((e) => e.level)).toEqual([1, 2]);
  });

  it('an added approver may approve once the step is reached, not before', async () => {
    const h = coreHarness(YAML);
    const id = await pending(h);
    await expect(decideRequest(person('erin'), { requestId: id, verdict: 'approve' }, h.ports)).rejects.toMatchObject({ code: 'NOT_ELIGIBLE' });
    h.clock.advance(15 * 60_000);
    await escalateRequest(id, h.ports);
    await expect(decideRequest(person('erin'), { requestId: id, verdict: 'approve' }, h.ports)).resolves.toMatchObject({ changed: true });
  });

  it('times the request out when the approval window ends, tells the requester, and stops', async () => {
    const h = coreHarness(YAML);
    const id = await pending(h);
    h.clock.advance(30 * 60_000);
    expect(await escalateRequest(id, h.ports)).toBe('timed_out');
    expect(await h.store.getRequest(id)).toMatchObject({ status: 'TIMED_OUT', nextActionAt: null, decidedBy: 'stint' });
    expect(h.notifier.sent.filter((n) => n.kind === 'request.timed_out')).toHaveLength(1);
    expect(h.store.state.audit.filter((e) => e.action === 'request.timed_out')).toHaveLength(1);
    expect(await escalateRequest(id, h.ports)).toBe('nothing');
  });

  it('a decision before a step cancels the steps that remain', async () => {
    const h = coreHarness(YAML);
    const id = await pending(h);
    h.clock.advance(6 * 60_000);
    await escalateRequest(id, h.ports);
    await decideRequest(person('carol'), { requestId: id, verdict: 'deny', comment: 'not now' }, h.ports);
    h.clock.advance(30 * 60_000);
    expect(await escalateRequest(id, h.ports)).toBe('nothing');
    expect(escalations(h, id).map((e) => e.level)).toEqual([1]);
    expect((await h.store.getRequest(id))!.status).toBe('DENIED');
  });

  it('the reconciler escalates an overdue request and re-sets the timer of one falling due within its horizon', async () => {
    const h = coreHarness(YAML);
    const overdue = await pending(h);
    h.clock.advance(4 * 60_000 + 30_000);
    const soon = await pending(h);
    h.clock.advance(60_000);
    const swept = await reconcileDue({ ...h.ports, providers: { get: () => { throw new Error('no provider needed'); } } } as never, { horizonMs: 5 * 60_000 });
    expect(swept.escalated).toEqual([overdue]);
    expect(h.scheduler.of(soon).filter((t) => t.kind === 'escalate')).toHaveLength(2);
  });
});
