import { describe, expect, it } from 'vitest';
import type { Notification } from '../../src/core/ports.ts';
import { OpsgenieClient } from '../../src/oncall/opsgenie.ts';
import { PagerDutyClient } from '../../src/oncall/pagerduty.ts';
import { PagerNotifier } from '../../src/oncall/pager-notifier.ts';
import { PolicyHolder } from '../../src/policy/index.ts';
import { FixedClock } from '../fakes/fixed-clock.ts';
import { makeRequest } from '../support/store-fixtures.ts';
import { oncallPolicy, recordingSleep, useFakePagers } from './oncall-fixture.ts';

const f = useFakePagers();

const request = makeRequest({ id: 'jit_01PAGE', scopes: ['prod-orders-db'], riskScore: 35 });
const escalated = (notify: string[], level = 2): Notification => ({ kind: 'request.escalated', request, level, notify, people: [] });
const breakGlass = (notify: string[]): Notification => ({ kind: 'breakglass.used', request: { ...request, breakGlass: true }, notify, reviewerIds: [] });

function notifier(options: { publicUrl?: string; routingKey?: string | undefined } = {}) {
  const { sleep } = recordingSleep();
  const routingKey = 'routingKey' in options ? options.routingKey : f.pd.routingKey;
  return new PagerNotifier({
    policy: new PolicyHolder(oncallPolicy()),
    ...(routingKey && { pagerduty: new PagerDutyClient({ routingKey, eventsUrl: f.pd.url, sleep }) }),
    opsgenie: new OpsgenieClient({ apiKey: f.og.apiKey, apiUrl: f.og.url, sleep }),
    clock: new FixedClock(new Date('2026-11-23T10:10:00Z')),
    ...(options.publicUrl && { publicUrl: options.publicUrl }),
  });
}

describe('PagerNotifier', () => {
  it('pages the PagerDuty rotation of an escalation step with severity error and the escalation step in the summary', async () => {
    await notifier().notify(escalated(['oncall:dba-pager', 'group:dba']));
    expect(f.pd.events).toHaveLength(1);
    expect(f.pd.events[0]).toMatchObject({
      dedup_key: 'stint-jit_01PAGE-request.escalated-2',
      payload: {
        severity: 'error',
        summary: 'Stint: access request jit_01PAGE for prod-orders-db waits for approval (escalation step 2)',
        custom_details: { requester: 'alice', scopes: 'prod-orders-db', reason: 'INC-1234 stuck orders', risk: '35' },
      },
    });
  });

  it('does not page built-in rotations (chat reaches them)', async () => {
    await notifier().notify(escalated(['oncall:sre-primary']));
    expect(f.pd.calls.length + f.og.calls.length).toBe(0);
  });

  it('pages once when the same escalation is notified twice', async () => {
    const n = notifier();
    await n.notify(escalated(['oncall:dba-pager', 'oncall:dba-genie']));
    await n.notify(escalated(['oncall:dba-pager', 'oncall:dba-genie']));
    expect(f.pd.events).toHaveLength(1);
    expect(f.og.alerts).toHaveLength(1);
  });

  it('sends the same dedup key from a second notifier, so PagerDuty merges it into one alert', async () => {
    await notifier().notify(escalated(['oncall:dba-pager']));
    await notifier().notify(escalated(['oncall:dba-pager']));
    expect([...f.pd.alerts]).toEqual([['stint-jit_01PAGE-request.escalated-2', 2]]);
  });

  it('pages again for the next escalation step', async () => {
    const n = notifier();
    await n.notify(escalated(['oncall:dba-pager'], 1));
    await n.notify(escalated(['oncall:dba-pager'], 2));
    expect(f.pd.events.map((e) => e.dedup_key)).toEqual(['stint-jit_01PAGE-request.escalated-1', 'stint-jit_01PAGE-request.escalated-2']);
  });

  it('pages break-glass as critical in PagerDuty and P1 in Opsgenie, routed to the schedule', async () => {
    await notifier().notify(breakGlass(['group:security', 'oncall:dba-pager', 'oncall:dba-genie', 'oncall:sre-primary']));
    expect(f.pd.events[0].payload.severity).toBe('critical');
    expect(f.og.alerts[0]).toMatchObject({ priority: 'P1', alias: 'stint-jit_01PAGE-breakglass.used-0', responders: [{ type: 'schedule', name: 'dba' }] });
  });

  it('raises an Opsgenie escalation as P3 with a message within 130 characters', async () => {
    await notifier().notify(escalated(['oncall:dba-genie']));
    expect(f.og.alerts[0].priority).toBe('P3');
    expect(f.og.alerts[0].message.length).toBeLessThanOrEqual(130);
  });

  it('links to the request only when a public URL is configured', async () => {
    await notifier().notify(escalated(['oncall:dba-pager'], 1));
    expect(f.pd.events[0].links).toBeUndefined();
    expect(f.pd.events[0].payload.custom_details.link).toBeUndefined();
    await notifier({ publicUrl: 'https://stint.example.com/' }).notify(escalated(['oncall:dba-pager'], 2));
    expect(f.pd.events[1].links).toEqual([{ href: 'https://stint.example.com/api/v1/credentials/jit/jit_01PAGE', text: 'Stint request jit_01PAGE' }]);
  });

  it('ignores notifications that are not escalations or break-glass', async () => {
    await notifier().notify({ kind: 'request.pending', request, approverIds: ['carol'] });
    expect(f.pd.calls.length + f.og.calls.length).toBe(0);
  });

  it('still alerts Opsgenie when PagerDuty is not configured, then throws naming PAGERDUTY_ROUTING_KEY', async () => {
    await expect(notifier({ routingKey: undefined }).notify(escalated(['oncall:dba-pager', 'oncall:dba-genie']))).rejects.toThrow(/PAGERDUTY_ROUTING_KEY/);
    expect(f.og.alerts).toHaveLength(1);
  });

  it('throws a refused page without the routing key, and pages on a retry of the notification', async () => {
    f.pd.throttle('/v2/enqueue', 4, { status: 500 });
    const n = notifier();
    const err = await n.notify(escalated(['oncall:dba-pager'])).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/HTTP 500/);
    expect((err as Error).message).not.toContain(f.pd.routingKey);
    await n.notify(escalated(['oncall:dba-pager']));
    expect(f.pd.events).toHaveLength(1);
  });
});
