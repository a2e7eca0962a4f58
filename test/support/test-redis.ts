/**
 * Redis for tests. `sharedRedisEnv()` uses the machine's Redis (127.0.0.1:6379, started by .ci/run) under a
 * queue prefix of its own, for tests that only need working queues. `startTestRedis()` starts a private
 * redis-server on a free port, for tests that stop, restart or FLUSHALL it (never the shared one).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort, redisAnswers } from '../../src/jobs/redis.ts';

export { freePort };

export function sharedRedisEnv(): { REDIS_URL: string; STINT_QUEUE_PREFIX: string } {
  return { REDIS_URL: 'redis://127.0.0.1:6379', STINT_QUEUE_PREFIX: `test-${randomBytes(6).toString('hex')}` };
}

export interface TestRedis {
  url: string;
  port: number;
  /** SIGTERM and wait for the exit (a later start() reuses the port and the directory). */
  stop(): Promise<void>;
  start(): Promise<void>;
  flushAll(): Promise<void>;
  close(): Promise<void>;
}

/** `appendOnly`: keep an append-only file (a restart keeps the timers); `extraArgs`: more redis-server settings. */
export async function startTestRedis(options: { appendOnly?: boolean; extraArgs?: string[] } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'stint-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', options.appendOnly ? 'yes' : 'no', ...(options.extraArgs ?? [])], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (await redisAnswers(url, 300)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`test redis-server on ${port} did not answer`);
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url,
    port,
    start,
    stop,
    async flushAll() {
      const { Redis } = await import('ioredis');
      const r = new Redis(url);
      await r.flushall();
      r.disconnect();
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
