/**
 * Invariant 3 for on-call rotations kept in PagerDuty or Opsgenie (`approvers: [oncall:x]`): who may approve is
 * whoever the scheduler says is on call at the moment of the click, not at posting time; a scheduler that cannot
 * be asked refuses with "try again" rather than "not eligible"; the people on call are reached when the request
 * is posted, reminded and escalated.
 */
import { describe, expect, it } from 'vitest';
import { createRequest } from '../../src/core/create-request.ts';
import { decideRequest } from '../../src/core/decide-request.ts';
import { escalateRequest } from '../../src/core/escalate-request.ts';
import { getRequest, listRequests } from '../../src/core/list-requests.ts';
import { externalRotations, onCallOf } from '../../src/core/on-call-now.ts';
import { StintError } from '../../src/domain/errors.ts';
import { createOnCallLookup, type OnCallSource } from '../../src/oncall/index.ts';
import { recordingLogger } from '../oncall/oncall-fixture.ts';
import { coreHarness, person } from '../support/core-harness.ts';
import { POLICY_YAML } from '../support/policy-fixture.ts';

const YAML = `${POLICY_YAML}
oncall:
  dba-pd: { pagerduty: { scheduleId: PDBA } }
  sec-og: { opsgenie: { schedule: security } }
  builtin: { rotation: [carol, dave], shift: 1d, handoff: "2026-11-23T09:00", timezone: UTC }
`.replace(
  `    approvers: [group:sre, group:dba]
    required: 1`,
  `    approvers: [oncall:dba-pd]
    required: 1
    approvalWindow: 30m
    escalation:
      - { after: 10m, notify: [oncall:sec-og] }`,
);

/** A scheduler whose answer the test changes (a handoff), or makes fail (an outage). */
class FakeSchedule implements OnCallSource {
  readonly onCall = new Map<string, string[]>([
    ['PDBA', ['dave@example.com']],
    ['security', ['erin@example.com']],
  ]);
  down: string | null = null;
  calls = 0;
  async onCallEmails(schedule: string): Promise<string[]> {
    this.calls++;
    if (this.down) throw new Error(this.down);
    return this.onCall.get(schedule) ?? [];
  }
}

function rig() {
  const h = coreHarness(YAML);
  const schedule = new FakeSchedule();
  // No cache: each click asks again, so a handoff shows at once (production caches a minute).
  const oncall = createOnCallLookup({ policy: h.policy, clock: h.clock, logger: recordingLogger().logger, pagerduty: schedule, opsgenie: schedule, cacheMs: 0 });
  const ports = { ...h.ports, oncall };
  return { ...h, ports, schedule };
}

async function pending(r: ReturnType<typeof rig>): Promise<string> {
  const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['prod-billing-db'], duration: '1h', reason: 'INC-7 refund stuck' }, r.ports);
  return request.id;
}

async function refusal(promise: Promise<unknown>): Promise<StintError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(StintError);
  return err as StintError;
}

describe('approvers from an external on-call rotation', () => {
  it('lets the person PagerDuty has on call at the click approve, and sends them the card when it is posted', async () => {
    const r = rig();
    const id = await pending(r);
    const posted = r.notifier.sent.find((n) => n.kind === 'request.pending');
    expect(posted?.kind === 'request.pending' && posted.approverIds).toEqual(['dave']);
    expect((await getRequest(person('dave'), id, r.ports)).approvers.map((a) => a.id)).toEqual(['dave']);
    expect((await listRequests(person('dave'), { view: 'awaiting' }, r.ports)).map((v) => v.id)).toEqual([id]);

    const result = await decideRequest(person('dave'), { requestId: id, verdict: 'approve' }, r.ports);
    expect(result.request.status).toBe('APPROVED');
  });

  it('refuses the one who went off call at the handoff, and accepts the one who took over', async () => {
    const r = rig();
    const id = await pending(r);
    r.schedule.onCall.set('PDBA', ['frank@example.com']);
    const err = await refusal(decideRequest(person('dave'), { requestId: id, verdict: 'approve' }, r.ports));
    expect(err.code).toBe('NOT_FOUND');
    expect(r.store.state.decisions).toHaveLength(0);
    const result = await decideRequest(person('frank'), { requestId: id, verdict: 'approve' }, r.ports);
    expect(result.request.decidedBy).toBe('frank');
  });

  it('answers "try again" (UNAVAILABLE, naming the rotation) when PagerDuty cannot be asked, and records nothing', async () => {
    const r = rig();
    const id = await pending(r);
    r.schedule.down = 'PagerDuty answered 503';
    const err = await refusal(decideRequest(person('dave'), { requestId: id, verdict: 'approve' }, r.ports));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain('"dba-pd"');
    expect(err.message).toContain('PagerDuty answered 503');
    expect(r.store.state.decisions).toHaveLength(0);
    expect(r.store.state.audit.filter((e) => e.action.startsWith('decision.'))).toHaveLength(0);
    r.schedule.down = null;
    expect((await decideRequest(person('dave'), { requestId: id, verdict: 'approve' }, r.ports)).changed).toBe(true);
  });

  it('leaves requests of other workflows alone when a rotation cannot be asked: their approvers act, others are refused as usual', async () => {
    const r = rig();
    const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-8 slow queries' }, r.ports);
    r.schedule.down = 'PagerDuty answered 503';
    expect((await decideRequest(person('carol'), { requestId: request.id, verdict: 'approve' }, r.ports)).changed).toBe(true);
    const err = await refusal(decideRequest(person('mallory'), { requestId: request.id, verdict: 'approve' }, r.ports));
    // mallory is no approver of it, and the rotation that is down does not approve it: no hint that it exists.
    expect(err.code).toBe('NOT_FOUND');
  });

  it('fails closed without on-call look-ups configured: the rotation approves nobody', async () => {
    const h = coreHarness(YAML);
    const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['prod-billing-db'], duration: '1h', reason: 'INC-7 refund stuck' }, h.ports);
    const err = await refusal(decideRequest(person('dave'), { requestId: request.id, verdict: 'approve' }, h.ports));
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.message).toContain('not configured');
    expect((await h.store.getRequest(request.id))!.status).toBe('PENDING');
  });

  it('reminds and escalates to whoever is on call at that moment in Opsgenie and PagerDuty', async () => {
    const r = rig();
    const id = await pending(r);
    r.clock.advance(5 * 60_000);
    expect(await escalateRequest(id, r.ports)).toBe('reminded');
    const reminder = r.notifier.sent.find((n) => n.kind === 'request.reminder');
    expect(reminder?.kind === 'request.reminder' && reminder.approverIds).toEqual(['dave']);
    r.schedule.onCall.set('security', ['bob@example.com']);
    r.clock.advance(5 * 60_000);
    expect(await escalateRequest(id, r.ports)).toBe('escalated');
    const step = r.notifier.sent.find((n) => n.kind === 'request.escalated');
    expect(step?.kind === 'request.escalated' && step.people).toEqual(['bob']);
  });

  it('audits a step whose rotation could not be asked, naming why, and still reaches the step once', async () => {
    const r = rig();
    const id = await pending(r);
    r.schedule.down = 'Opsgenie answered 429';
    r.clock.advance(10 * 60_000);
    expect(await escalateRequest(id, r.ports)).toBe('escalated');
    const audit = r.store.state.audit.find((e) => e.action === 'request.escalated');
    expect(audit?.data).toMatchObject({ level: 1, people: [], onCallUnknown: { 'sec-og': 'Opsgenie answered 429' } });
    expect(await escalateRequest(id, r.ports)).toBe('nothing');
  });
});

describe('onCallOf', () => {
  it('asks nothing when no reference names an external rotation', async () => {
    const r = rig();
    const policy = r.policy.current();
    expect(externalRotations(policy, ['group:dba', 'oncall:builtin', 'oncall:nope', 'dave'])).toEqual([]);
    const answer = await onCallOf(policy, ['group:dba', 'oncall:builtin'], r.clock.now(), r.ports.oncall);
    expect(answer.people.size + answer.failed.size).toBe(0);
    expect(r.schedule.calls).toBe(0);
  });

  it('asks each external rotation once and says which failed', async () => {
    const r = rig();
    const policy = r.policy.current();
    expect(externalRotations(policy, ['oncall:sec-og', 'oncall:dba-pd', 'oncall:dba-pd'])).toEqual(['dba-pd', 'sec-og']);
    const answer = await onCallOf(policy, ['oncall:dba-pd', 'oncall:sec-og'], r.clock.now(), r.ports.oncall);
    expect(Object.fromEntries(answer.people)).toEqual({ 'dba-pd': ['dave'], 'sec-og': ['erin'] });
    expect(r.schedule.calls).toBe(2);
  });
});
