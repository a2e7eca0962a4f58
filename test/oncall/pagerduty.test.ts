import { describe, expect, it } from 'vitest';
import { PagerDutyClient, type PagerDutyEvent } from '../../src/oncall/pagerduty.ts';
import { recordingSleep, useFakePagers } from './oncall-fixture.ts';

const f = useFakePagers();

const AT = new Date('2026-04-08T12:00:00Z');
function client(overrides: Partial<ConstructorParameters<typeof PagerDutyClient>[0]> = {}) {
  const { slept, sleep } = recordingSleep();
  const c = new PagerDutyClient({ token: f.pd.token, routingKey: f.pd.routingKey, apiUrl: f.pd.url, eventsUrl: f.pd.url, sleep, ...overrides });
  return { c, slept };
}
const event = (overrides: Partial<PagerDutyEvent> = {}): PagerDutyEvent => ({
  dedupKey: 'stint-jit_1-request.escalated-1',
  summary: 'Stint: access request jit_1 for prod-orders-db waits for approval (escalation step 1)',
  source: 'stint',
  severity: 'error',
  timestamp: AT,
  customDetails: { requester: 'alice' },
  ...overrides,
});

describe('PagerDuty on-call look-up', () => {
  it('sends the REST token and v2 Accept header and asks for the schedule with users included', async () => {
    f.pd.setOnCall('PSCHED1', [{ email: 'Carol@Example.com', start: '2026-04-06T07:00:00Z', end: '2026-04-13T07:00:00Z' }]);
    expect(await client().c.onCallEmails('PSCHED1', AT)).toEqual(['carol@example.com']);
    const call = f.pd.calls[0]!;
    expect(call.headers.authorization).toBe(`Token token=${f.pd.token}`);
    expect(call.headers.accept).toBe('application/vnd.pagerduty+json;version=2');
    expect(call.query.getAll('schedule_ids[]')).toEqual(['PSCHED1']);
    expect(call.query.getAll('include[]')).toEqual(['users']);
    expect(call.query.get('since')).toBe(AT.toISOString());
  });

  it('returns only the people whose on-call covers the instant asked', async () => {
    f.pd.setOnCall('PSCHED1', [
      { email: 'alice@example.com', start: '2026-04-01T07:00:00Z', end: '2026-04-08T12:00:00Z' },
      { email: 'bob@example.com', start: '2026-04-08T12:00:00Z', end: '2026-04-15T07:00:00Z' },
      { email: 'dave@example.com', start: '2026-04-01T07:00:00Z', end: '2026-04-15T07:00:00Z', escalationLevel: 2 },
    ]);
    expect((await client().c.onCallEmails('PSCHED1', AT)).sort()).toEqual(['bob@example.com', 'dave@example.com']);
  });

  it('follows pagination until PagerDuty says there is no more', async () => {
    f.pd.setOnCall('PSCHED1', Array.from({ length: 130 }, (_, i) => ({ email: `p${i}@example.com` })));
    expect(await client().c.onCallEmails('PSCHED1', AT)).toHaveLength(130);
    expect(f.pd.calls.map((c) => c.query.get('offset'))).toEqual(['0', '100']);
  });

  it('throws PagerDuty’s message on 401 without the token in it, and does not retry', async () => {
    const err = await client({ token: 'wrong-secret-token' }).c.onCallEmails('PSCHED1', AT).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((err as Error).message).toContain('Authentication failed');
    expect((err as Error).message).toContain('PAGERDUTY_TOKEN');
    expect((err as Error).message).not.toContain('wrong-secret-token');
    expect(f.pd.calls).toHaveLength(1);
  });

  it('refuses to look up without a token, naming PAGERDUTY_TOKEN', async () => {
    await expect(client({ token: undefined }).c.onCallEmails('PSCHED1', AT)).rejects.toThrow(/PAGERDUTY_TOKEN/);
    expect(f.pd.calls).toHaveLength(0);
  });
});

describe('PagerDuty Events API v2', () => {
  it('triggers an event of the documented shape, accepted with 202', async () => {
    await client().c.trigger(event({ links: [{ href: 'https://stint.example.com/x', text: 'request' }], component: 'prod-orders-db' }));
    expect(f.pd.events).toHaveLength(1);
    const body = f.pd.calls[0]!.body;
    expect(body).toMatchObject({
      routing_key: f.pd.routingKey,
      event_action: 'trigger',
      dedup_key: 'stint-jit_1-request.escalated-1',
      payload: { source: 'stint', severity: 'error', timestamp: AT.toISOString(), component: 'prod-orders-db', custom_details: { requester: 'alice' } },
      links: [{ href: 'https://stint.example.com/x', text: 'request' }],
    });
  });

  it('cuts a summary longer than 1024 characters instead of having the event refused', async () => {
    await client().c.trigger(event({ summary: 'x'.repeat(2000) }));
    expect(f.pd.events[0].payload.summary).toHaveLength(1024);
  });

  it('waits the Retry-After of a 429 and then succeeds', async () => {
    f.pd.throttle('/v2/enqueue', 2, { retryAfterSec: 2 });
    const { c, slept } = client();
    await c.trigger(event());
    expect(slept).toEqual([2000, 2000]);
    expect(f.pd.events).toHaveLength(1);
  });

  it('backs off 1 s, 2 s, 4 s without Retry-After, then throws naming the API and status', async () => {
    f.pd.throttle('/v2/enqueue', 4, { retryAfterSec: null });
    const { c, slept } = client();
    await expect(c.trigger(event())).rejects.toThrow(/PagerDuty Events API answered HTTP 429 after 3 retries/);
    expect(slept).toEqual([1000, 2000, 4000]);
    expect(f.pd.calls).toHaveLength(4);
  });

  it('retries a 5xx like a 429', async () => {
    f.pd.throttle('/v2/enqueue', 1, { status: 503 });
    const { c, slept } = client();
    await c.trigger(event());
    expect(slept).toEqual([1000]);
    expect(f.pd.events).toHaveLength(1);
  });

  it('throws a 400 at once with PagerDuty’s errors and never the routing key', async () => {
    const err = await client({ routingKey: 'Rwrong-routing-key-value' }).c.trigger(event()).catch((e: Error) => e);
    expect((err as Error).message).toContain('Invalid routing key');
    expect((err as Error).message).not.toContain('Rwrong-routing-key-value');
    expect(JSON.stringify((err as { details?: unknown }).details)).not.toContain('Rwrong-routing-key-value');
    expect(f.pd.calls).toHaveLength(1);
  });

  it('gives up on a call that does not answer within the timeout', async () => {
    f.pd.delay('/v2/enqueue', 300);
    await expect(client({ timeoutMs: 50, maxRetries: 1 }).c.trigger(event())).rejects.toThrow(/unreachable after 1 retries: no answer within 50 ms/);
  });
});

describe('the PagerDuty fake', () => {
  it('refuses an event without payload.source or with a bad severity', async () => {
    const res = await fetch(`${f.pd.url}/v2/enqueue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ routing_key: f.pd.routingKey, event_action: 'trigger', payload: { summary: 's', severity: 'loud' } }),
    });
    expect(res.status).toBe(400);
    expect((await res.json()).errors).toEqual(["'payload.source' is missing or blank", "'payload.severity' must be critical, error, warning or info"]);
  });

  it('refuses a summary over 1024 characters', async () => {
    const res = await fetch(`${f.pd.url}/v2/enqueue`, {
      method: 'POST',
      body: JSON.stringify({ routing_key: f.pd.routingKey, event_action: 'trigger', payload: { summary: 'x'.repeat(1025), source: 's', severity: 'info' } }),
    });
    expect(res.status).toBe(400);
  });
});
