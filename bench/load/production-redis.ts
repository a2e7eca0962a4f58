/**
 * The soak's own redis-server on a free port, with the production settings of the README (DESIGN.md section 4):
 * `appendonly yes`, `appendfsync everysec`, `maxmemory-policy noeviction`, no RDB snapshots. `stop()` + `start()`
 * is the Redis restart fault (same port, same directory, so the append-only file brings the timers back).
 * `commandsProcessed()` reads INFO stats; the counter starts again from 0 after a restart (the caller adds up).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, redisAnswers } from '../../src/jobs/redis.ts';

export interface ProductionRedis {
  url: string;
  /** SIGTERM and wait for the exit (Redis fsyncs the append-only file on the way out). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** INFO stats `total_commands_processed`; null while Redis does not answer. */
  commandsProcessed(): Promise<number | null>;
  /** INFO memory `used_memory` in MB; null while Redis does not answer. */
  usedMemoryMb(): Promise<number | null>;
  close(): Promise<void>;
}

export async function startProductionRedis(): Promise<ProductionRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'stint-soak-redis-'));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let client: Redis | undefined;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction'];

  const start = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      if (await redisAnswers(url, 300)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`soak redis-server on ${port} did not answer`);
  };
  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  const info = async (section: string, field: string): Promise<number | null> => {
    if (!client) {
      client = new Redis(url, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
      client.on('error', () => undefined);
    }
    try {
      const text = await client.info(section);
      const found = new RegExp(`^${field}:(\\d+)`, 'm').exec(text);
      return found ? Number(found[1]) : null;
    } catch {
      return null;
    }
  };

  await start();
  return {
    url,
    stop,
    start,
    commandsProcessed: () => info('stats', 'total_commands_processed'),
    usedMemoryMb: async () => {
      const bytes = await info('memory', 'used_memory');
      return bytes === null ? null : bytes / 1024 / 1024;
    },
    async close() {
      client?.disconnect();
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
