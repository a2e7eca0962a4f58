/**
 * What Prometheus scrapes from an app (DESIGN.md section 10, issue 11): requests by status and grants active read
 * from the store at scrape time, decision latency and event counts fed by the notification fan-out, provider
 * calls timed and counted by type, operation and outcome, chat 429s counted per platform.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { createRequest } from '../../src/core/create-request.ts';
import { decideRequest } from '../../src/core/decide-request.ts';
import { createLogger } from '../../src/logger.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { createNoopProvider } from '../../src/providers/noop/noop-provider.ts';
import { RecordingNotifier } from '../fakes/recording-notifier.ts';
import { person } from '../support/core-harness.ts';
import { POLICY_YAML } from '../support/policy-fixture.ts';
import { sharedRedisEnv } from '../support/test-redis.ts';

let app: App;
const noop = createNoopProvider();
// A provider whose checks fail (a database that went away).
const failing = {
  ...createNoopProvider(),
  type: 'token',
  check: async (): Promise<'present' | 'absent'> => {
    throw new Error('connection refused');
  },
};

beforeAll(async () => {
  app = await createApp({
    env: { STINT_DATA_DIR: 'memory://', LOG_LEVEL: 'silent' },
    overrides: { policy: parsePolicy(POLICY_YAML, 'metrics.yaml'), providers: [{ ...noop, type: 'postgres' }, failing], logger: createLogger('silent'), notifier: new RecordingNotifier() },
  });
}, 60_000);
afterAll(async () => app?.close());

async function scrape(): Promise<string> {
  const res = await app.server.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  return res.body;
}

const value = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('/metrics', () => {
  it('counts requests by status and grants active, decision latency by outcome, events and provider calls', async () => {
    const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-1 orders' }, app.core);
    await createRequest(person('alice'), { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-2 orders' }, app.core);
    await decideRequest(person('carol'), { requestId: request.id, verdict: 'approve' }, app.core);
    await decideRequest(person('dave'), { requestId: request.id, verdict: 'approve' }, app.core);
    expect((await activateGrant(request.id, app.grants)).status).toBe('ACTIVE');
    await new Promise((r) => setTimeout(r, 1_100)); // past the gauges' one-second cache

    const text = await scrape();
    expect(value(text, 'stint_requests{status="PENDING"}')).toBe(1);
    expect(value(text, 'stint_requests{status="ACTIVE"}')).toBe(1);
    expect(value(text, 'stint_requests{status="DENIED"}')).toBe(0);
    expect(value(text, 'stint_grants_active')).toBe(1);
    expect(value(text, 'stint_decision_latency_seconds_count{outcome="approved"}')).toBe(1);
    expect(value(text, 'stint_events_total{event="request.pending"}')).toBe(2);
    expect(value(text, 'stint_events_total{event="grant.activated"}')).toBe(1);
    expect(value(text, 'stint_provider_calls_total{provider="postgres",op="grant",outcome="ok"}')).toBe(1);
    expect(value(text, 'stint_provider_call_seconds_count{provider="postgres",op="grant"}')).toBe(1);
    // No queues connected (no Redis in this app): no depth is invented.
    expect(text).not.toContain('stint_queue_jobs{');
  });

  it('counts a failing provider call as an error, and the error still reaches the caller', async () => {
    await expect(app.providers.get('token').check({}, {})).rejects.toThrow('connection refused');
    const text = await scrape();
    expect(value(text, 'stint_provider_calls_total{provider="token",op="check",outcome="error"}')).toBe(1);
    expect(value(text, 'stint_provider_calls_total{provider="token",op="check",outcome="ok"}')).toBeUndefined();
  });
});

describe('/metrics with the queues connected', () => {
  it('reports each queue\'s jobs by state from Redis at scrape time', async () => {
    const queued = await createApp({
      env: { STINT_DATA_DIR: 'memory://', LOG_LEVEL: 'silent', ...sharedRedisEnv() },
      overrides: { policy: parsePolicy(POLICY_YAML, 'metrics.yaml'), providers: [{ ...noop, type: 'postgres' }], logger: createLogger('silent'), notifier: new RecordingNotifier() },
    });
    try {
      await queued.startBackground({ workers: false });
      // No worker runs: the approved grant's job waits, the pending request's window timer is delayed.
      const approved = await createRequest(person('alice'), { identityId: 'alice', scopes: ['dev-api'], duration: '1h', reason: 'INC-3 dev' }, queued.core);
      expect(approved.request.status).toBe('APPROVED');
      await createRequest(person('alice'), { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-4 orders' }, queued.core);
      await new Promise((r) => setTimeout(r, 1_100)); // past the gauges' one-second cache

      const text = (await queued.server.inject({ method: 'GET', url: '/metrics' })).body;
      const series = (queue: string, state: string) => value(text, `stint_queue_jobs{queue="${queue}",state="${state}"}`);
      expect(series('grant', 'waiting')).toBe(1);
      expect(series('escalate', 'delayed')).toBeGreaterThanOrEqual(1);
      for (const queue of ['grant', 'revoke', 'remind', 'escalate']) {
        for (const state of ['waiting', 'active', 'delayed', 'failed']) expect(series(queue, state), `${queue}/${state}`).toEqual(expect.any(Number));
      }
      expect(series('revoke', 'delayed')).toBe(0);
    } finally {
      await queued.close();
    }
  }, 30_000);
});
