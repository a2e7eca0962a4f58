/** `stint worker` as an operator runs it: health, readiness and metrics on METRICS_PORT; clean SIGTERM; clear refusals. */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/jobs/redis.ts';
import { cleanEnv, spawnStint, stopAllStintProcesses, type StintProcess } from '../support/stint-process.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { sharedRedisEnv } from '../support/test-redis.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
let db: TestDatabase;
let worker: StintProcess;
let metricsUrl: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const port = await freePort();
  metricsUrl = `http://127.0.0.1:${port}`;
  worker = await spawnStint('worker', {
    env: { DATABASE_URL: db.url, ...sharedRedisEnv(), METRICS_PORT: String(port), STINT_POLICY: 'examples/stint.yaml', LOG_LEVEL: 'info' },
  });
}, 90_000);

afterAll(async () => {
  await stopAllStintProcesses();
  await db?.drop();
});

describe('stint worker', () => {
  it('says what it runs: the store, Redis with its queue prefix, and where /metrics is', async () => {
    await worker.waitForOutput(/policy\s+examples/);
    expect(worker.output()).toMatch(/Stint worker running; \/healthz, \/readyz and \/metrics on http:\/\/127\.0\.0\.1:\d+/);
    expect(worker.output()).toMatch(/redis\s+redis:\/\/127\.0\.0\.1:6379 \(queue prefix test-[0-9a-f]+\)/);
  });

  it('answers /healthz, /readyz (store and Redis) and /metrics on METRICS_PORT', async () => {
    expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${metricsUrl}/readyz`);
    expect(await ready.json()).toMatchObject({ status: 'ready', store: 'postgres', redis: 'ok' });
    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(metrics).toContain('# TYPE stint_revocation_lag_seconds histogram');
    expect(metrics).toContain('stint_reconciler_sweeps_total');
    expect((await fetch(`${metricsUrl}/nope`)).status).toBe(404);
  });

  it('becomes the reconciler leader', async () => {
    await worker.waitForOutput(/this process is the leader/, 20_000);
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    expect(await worker.stop(25_000)).toBe(0);
  }, 30_000);

  it('refuses to start without DATABASE_URL, saying why', async () => {
    const failed = await run(process.execPath, [join(ROOT, 'bin/stint.js'), 'worker'], { cwd: ROOT, env: { ...cleanEnv(), STINT_POLICY: 'examples/stint.yaml' } }).catch((e: { code: number; stderr: string }) => e);
    expect('code' in failed && failed.code).toBe(1);
    expect((failed as { stderr: string }).stderr).toMatch(/stint worker. needs DATABASE_URL/);
  }, 30_000);
});
