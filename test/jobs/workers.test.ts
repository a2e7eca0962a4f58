/**
 * The queues end to end in one process, on real PostgreSQL and Redis: activation, revoke at expiry, the
 * reminder and a revoke retry all come from BullMQ jobs — the reconciler's interval is set far beyond the test,
 * so after its start-up sweep it cannot be what acted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.ts';
import { createRequest } from '../../src/core/create-request.ts';
import type { Notification, Provider } from '../../src/core/ports.ts';
import { createLogger } from '../../src/logger.ts';
import { createNoopProvider } from '../../src/providers/noop/noop-provider.ts';
import { RecordingNotifier } from '../fakes/recording-notifier.ts';
import { person } from '../support/core-harness.ts';
import { POLICY_YAML, testPolicy } from '../support/policy-fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { sharedRedisEnv } from '../support/test-redis.ts';

let db: TestDatabase;
let app: App;
const notifier = new RecordingNotifier();
const noop = createNoopProvider();
let revokeFailures = 0;
const provider: Provider = {
  ...noop,
  type: 'postgres',
  async revoke(config, handle, options) {
    if (revokeFailures > 0) {
      revokeFailures--;
      throw new Error('connection refused');
    }
    return noop.revoke(config, handle, options);
  },
};

beforeAll(async () => {
  db = await createTestDatabase();
  const policy = testPolicy(POLICY_YAML.replace('    maxDuration: 8h\n', '    maxDuration: 8h\n    minDuration: 1s\n'));
  app = await createApp({
    env: { DATABASE_URL: db.url, ...sharedRedisEnv(), LOG_LEVEL: 'silent' },
    overrides: { policy, notifier, providers: [provider], logger: createLogger('silent'), background: { reconcileIntervalMs: 3_600_000 } },
  });
  await app.startBackground({ workers: true });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await db?.drop();
});

async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const request = async (duration: string) =>
  (await createRequest(person('alice'), { identityId: 'alice', scopes: ['dev-api'], duration, reason: 'queue test' }, app.core)).request;
const statusOf = async (id: string) => (await app.store.getRequest(id))?.status;
const sent = (kind: Notification['kind'], id: string) => notifier.sent.find((n) => n.kind === kind && 'request' in n && n.request.id === id);

describe('BullMQ workers', () => {
  it('activates an approved request from the grant queue and revokes it at expiry from the revoke queue', async () => {
    const { id } = await request('3s');
    await until('ACTIVE', async () => (await statusOf(id)) === 'ACTIVE');
    expect(noop.activeGrants()).toContain(`${id}/dev-api`);
    const revoked = await until('REVOKED', async () => {
      const r = await app.store.getRequest(id);
      return r?.status === 'REVOKED' && r;
    });
    expect(revoked.revokeCause).toBe('expired');
    expect(revoked.revokedAt!.getTime()).toBeGreaterThanOrEqual(revoked.expiresAt!.getTime());
    expect(noop.activeGrants()).not.toContain(`${id}/dev-api`);
  }, 30_000);

  it('reminds the requester ten minutes before the expiry, from the remind queue', async () => {
    const { id } = await request('10m2s');
    const reminder = await until('the expiry reminder', async () => sent('grant.expiring', id));
    expect(reminder).toMatchObject({ kind: 'grant.expiring', minutesLeft: 10 });
  }, 30_000);

  it('retries a failed revoke on its own backoff timer and ends REVOKED', async () => {
    const { id } = await request('2s');
    await until('ACTIVE', async () => (await statusOf(id)) === 'ACTIVE');
    revokeFailures = 1;
    await until('the failure alert', async () => sent('grant.revoke_failed', id));
    expect(await statusOf(id)).toBe('REVOKING');
    expect((await app.store.getRequest(id))!.statusReason).toMatch(/revoke attempt 1 failed: dev-api: connection refused/);
    await until('REVOKED after the retry', async () => (await statusOf(id)) === 'REVOKED');
    expect((await app.store.getRequest(id))!.statusReason).toBeNull();
  }, 30_000);

  it('counts jobs and revocation lag in /metrics', async () => {
    const metrics = await app.server.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(/stint_jobs_total\{queue="grant",outcome="activated"\} [1-9]/);
    expect(metrics.body).toMatch(/stint_revocation_lag_seconds_count [1-9]/);
    const ready = await app.server.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json()).toMatchObject({ status: 'ready', store: 'postgres', redis: 'ok' });
  });
});
