import { describe, expect, it } from 'vitest';
import { OpsgenieClient, type OpsgenieAlert } from '../../src/oncall/opsgenie.ts';
import { recordingSleep, useFakePagers } from './oncall-fixture.ts';

const f = useFakePagers();

const AT = new Date('2026-04-08T12:00:00.250Z');
function client(overrides: Partial<ConstructorParameters<typeof OpsgenieClient>[0]> = {}) {
  const { slept, sleep } = recordingSleep();
  return { c: new OpsgenieClient({ apiKey: f.og.apiKey, apiUrl: f.og.url, sleep, ...overrides }), slept };
}
const alert = (overrides: Partial<OpsgenieAlert> = {}): OpsgenieAlert => ({
  message: 'Stint: access request jit_1 for prod-orders-db waits for approval (escalation step 1)',
  alias: 'stint-jit_1-request.escalated-1',
  priority: 'P3',
  schedules: ['dba'],
  details: { requester: 'alice' },
  source: 'stint',
  tags: ['stint'],
  ...overrides,
});

describe('Opsgenie who-is-on-call', () => {
  it('asks the schedule by name, flat, at the instant, with the GenieKey header', async () => {
    f.og.setOnCall('dba team', ['Carol@Example.com', 'dave@example.com']);
    expect(await client().c.onCallEmails('dba team', AT)).toEqual(['carol@example.com', 'dave@example.com']);
    const call = f.og.calls[0]!;
    expect(call.path).toBe('/v2/schedules/dba%20team/on-calls');
    expect(call.headers.authorization).toBe(`GenieKey ${f.og.apiKey}`);
    expect(Object.fromEntries(call.query)).toEqual({ scheduleIdentifierType: 'name', flat: 'true', date: '2026-04-08T12:00:00Z' });
  });

  it('throws Opsgenie’s message for an unknown schedule at once', async () => {
    const { c, slept } = client();
    await expect(c.onCallEmails('nope', AT)).rejects.toThrow(/HTTP 404.*No schedule exists with name \[nope\]/);
    expect(slept).toEqual([]);
  });

  it('refuses a wrong key with a message naming OPSGENIE_API_KEY but not the key', async () => {
    const err = await client({ apiKey: 'bad-genie-key-123' }).c.onCallEmails('dba', AT).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((err as Error).message).toMatch(/Could not authenticate.*OPSGENIE_API_KEY/);
    expect((err as Error).message).not.toContain('bad-genie-key-123');
  });
});

describe('Opsgenie alerts', () => {
  it('creates an alert routed to the schedule, accepted with 202', async () => {
    await client().c.createAlert(alert());
    expect(f.og.alerts).toHaveLength(1);
    expect(f.og.calls[0]!.body).toEqual({
      message: alert().message,
      alias: 'stint-jit_1-request.escalated-1',
      priority: 'P3',
      responders: [{ type: 'schedule', name: 'dba' }],
      details: { requester: 'alice' },
      source: 'stint',
      tags: ['stint'],
    });
  });

  it('cuts a message to 130 characters and a description to 15000 so the alert is not refused', async () => {
    await client().c.createAlert(alert({ message: 'm'.repeat(300), description: 'd'.repeat(20_000) }));
    expect(f.og.alerts[0].message).toHaveLength(130);
    expect(f.og.alerts[0].description).toHaveLength(15_000);
  });

  it('honours Retry-After on 429 and then succeeds', async () => {
    f.og.throttle('/v2/alerts', 1, { retryAfterSec: 3 });
    const { c, slept } = client();
    await c.createAlert(alert());
    expect(slept).toEqual([3000]);
    expect(f.og.alerts).toHaveLength(1);
  });

  it('gives up after 3 retries of a 5xx naming the API and status', async () => {
    f.og.throttle('/v2/alerts', 5, { status: 502 });
    const { c, slept } = client();
    await expect(c.createAlert(alert())).rejects.toThrow(/Opsgenie Alert API answered HTTP 502 after 3 retries/);
    expect(slept).toEqual([1000, 2000, 4000]);
  });
});

describe('the Opsgenie fake', () => {
  const post = (body: unknown, key = f.og.apiKey) =>
    fetch(`${f.og.url}/v2/alerts`, { method: 'POST', headers: { authorization: `GenieKey ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('refuses a message over 130 characters and a bad priority', async () => {
    const res = await post({ message: 'x'.repeat(131), priority: 'P9' });
    expect(res.status).toBe(422);
    expect(Object.keys((await res.json()).errors).sort()).toEqual(['message', 'priority']);
  });

  it('refuses a request without the GenieKey header with 401', async () => {
    const res = await fetch(`${f.og.url}/v2/alerts`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
  });
});
