/**
 * The approvers' daily digest (core/send-digest.ts): due at `digest.at` in the policy's timezone on weekdays (or
 * every day with `weekends: true`), caught up for a few hours by a leader that was down, never twice a day — not
 * by the same process, not by a leader that took over; each approver gets only what waits for them, oldest first.
 */
import { describe, expect, it } from 'vitest';
import { createRequest } from '../../src/core/create-request.ts';
import { decideRequest } from '../../src/core/decide-request.ts';
import { escalateRequest } from '../../src/core/escalate-request.ts';
import type { DigestItem, DigestSender } from '../../src/core/ports.ts';
import { digestPeriodDue, sendDigest } from '../../src/core/send-digest.ts';
import { testPolicy } from '../support/policy-fixture.ts';
import { coreHarness, person } from '../support/core-harness.ts';
import { POLICY_YAML } from '../support/policy-fixture.ts';

// Monday 2026-11-23; Berlin is UTC+1 in winter.
const BERLIN = POLICY_YAML.replace('timezone: UTC', 'timezone: Europe/Berlin');
const WITH_STEP = POLICY_YAML.replace(
  '    approvers: [group:dba]\n    required: 2\n    approvalWindow: 30m',
  '    approvers: [group:dba]\n    required: 2\n    approvalWindow: 8h\n    escalation:\n      - { after: 1h, notify: [group:security], addApprovers: [group:security] }',
);

class RecordingDigests implements DigestSender {
  readonly sent: Array<{ personId: string; ids: string[]; approvals: number[] }> = [];
  async sendDigest(personId: string, items: DigestItem[]): Promise<void> {
    this.sent.push({ personId, ids: items.map((i) => i.request.id), approvals: items.map((i) => i.approvals) });
  }
  to(personId: string) {
    return this.sent.filter((s) => s.personId === personId);
  }
}

function rig(yaml = POLICY_YAML) {
  const h = coreHarness(yaml);
  h.clock.set(new Date('2026-11-23T07:00:00Z'));
  const digests = new RecordingDigests();
  return { ...h, digests, digestPorts: { ...h.ports, digest: digests } };
}

async function request(r: ReturnType<typeof rig>, requester: string, scope: string): Promise<string> {
  const { request } = await createRequest(person(requester), { identityId: requester, scopes: [scope], duration: '1h', reason: `INC-5 ${scope} for ${requester}` }, r.ports);
  return request.id;
}

describe('digestPeriodDue', () => {
  const at = (iso: string, yaml = POLICY_YAML) => digestPeriodDue(testPolicy(yaml), new Date(iso));

  it('is due from 09:00 local on a weekday, for that local day, and not before', () => {
    expect(at('2026-11-23T08:59:59Z')).toBeUndefined();
    expect(at('2026-11-23T09:00:00Z')).toBe('2026-11-23');
    expect(at('2026-11-23T07:59:00Z', BERLIN)).toBeUndefined();
    expect(at('2026-11-23T08:00:00Z', BERLIN)).toBe('2026-11-23');
  });

  it('catches up for four hours after the hour, then leaves the day alone', () => {
    expect(at('2026-11-23T12:59:00Z')).toBe('2026-11-23');
    expect(at('2026-11-23T13:01:00Z')).toBeUndefined();
  });

  it('skips Saturday and Sunday unless weekends: true, and never runs with digest: false', () => {
    expect(at('2026-11-28T09:30:00Z')).toBeUndefined();
    expect(at('2026-11-29T09:30:00Z')).toBeUndefined();
    expect(at('2026-11-28T09:30:00Z', `${POLICY_YAML}digest: { at: "09:15", weekends: true }\n`)).toBe('2026-11-28');
    expect(at('2026-11-23T10:00:00Z', `${POLICY_YAML}digest: false\n`)).toBeUndefined();
  });

  it('follows the local day across a DST change (Berlin, last Sunday of March)', () => {
    const daily = `${BERLIN}digest: { at: "09:00", weekends: true }\n`;
    expect(at('2026-03-28T08:00:00Z', daily)).toBe('2026-03-28');
    expect(at('2026-03-29T07:00:00Z', daily)).toBe('2026-03-29');
    expect(at('2026-03-29T06:59:00Z', daily)).toBeUndefined();
  });
});

describe('sendDigest', () => {
  it('sends nothing before the hour', async () => {
    const r = rig();
    await request(r, 'alice', 'prod-orders-db');
    expect(await sendDigest(r.digestPorts)).toEqual({ kind: 'not_due' });
    expect(r.digests.sent).toEqual([]);
  });

  it('gives each approver what waits for them, oldest first, without their own requests or what they decided', async () => {
    const r = rig();
    const orders = await request(r, 'alice', 'prod-orders-db');
    r.clock.advance(60_000);
    const billing = await request(r, 'carol', 'prod-billing-db');
    await decideRequest(person('dave'), { requestId: orders, verdict: 'approve' }, r.ports);
    r.clock.set(new Date('2026-11-23T09:00:30Z'));

    const outcome = await sendDigest(r.digestPorts);
    expect(outcome).toEqual({ kind: 'sent', period: '2026-11-23', approvers: { alice: 1, bob: 1, carol: 1, dave: 1, frank: 2 } });
    expect(r.digests.to('frank')).toEqual([{ personId: 'frank', ids: [orders, billing], approvals: [1, 0] }]);
    expect(r.digests.to('dave')[0]!.ids).toEqual([billing]);
    expect(r.digests.to('carol')[0]!.ids).toEqual([orders]);
    expect(r.digests.to('erin')).toEqual([]);
    const audit = r.store.state.audit.filter((e) => e.action === 'digest.sent');
    expect(audit).toHaveLength(1);
    expect(audit[0]!.data).toEqual({ period: '2026-11-23', approvers: { alice: 1, bob: 1, carol: 1, dave: 1, frank: 2 } });
  });

  it('includes approvers an escalation step added', async () => {
    const r = rig(WITH_STEP);
    const id = await request(r, 'alice', 'prod-orders-db');
    r.clock.set(new Date('2026-11-23T08:00:00Z'));
    await escalateRequest(id, r.ports);
    expect((await r.store.getRequest(id))!.escalationLevel).toBe(1);
    r.clock.set(new Date('2026-11-23T09:05:00Z'));
    await sendDigest(r.digestPorts);
    expect(r.digests.to('erin')[0]!.ids).toEqual([id]);
  });

  it('sends a day once: later ticks, and another leader with no memory of it, find it sent', async () => {
    const r = rig();
    await request(r, 'alice', 'prod-orders-db');
    r.clock.set(new Date('2026-11-23T09:00:00Z'));
    const first = await sendDigest(r.digestPorts);
    expect(first.kind).toBe('sent');
    r.clock.advance(15_000);
    expect(await sendDigest(r.digestPorts, '2026-11-23')).toEqual({ kind: 'already_sent', period: '2026-11-23' });
    // A leader that took over: no in-memory skip; the database claim says no.
    expect(await sendDigest(r.digestPorts)).toEqual({ kind: 'already_sent', period: '2026-11-23' });
    expect(r.digests.sent).toHaveLength(3);
    expect(r.store.state.audit.filter((e) => e.action === 'digest.sent')).toHaveLength(1);
    // The next weekday is a new day.
    r.clock.set(new Date('2026-11-24T09:00:00Z'));
    expect((await sendDigest(r.digestPorts)).kind).toBe('sent');
    expect(r.digests.sent).toHaveLength(6);
  });

  it('claims a day with nobody waiting without auditing or sending anything', async () => {
    const r = rig();
    r.clock.set(new Date('2026-11-23T09:00:00Z'));
    expect(await sendDigest(r.digestPorts)).toEqual({ kind: 'sent', period: '2026-11-23', approvers: {} });
    expect(r.digests.sent).toEqual([]);
    expect(r.store.state.audit.filter((e) => e.action === 'digest.sent')).toHaveLength(0);
  });
});
