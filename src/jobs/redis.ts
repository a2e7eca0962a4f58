/**
 * Finding Redis (DESIGN.md section 4): REDIS_URL when set; else redis://127.0.0.1:6379; when nothing answers
 * there and `redis-server` is on PATH, `stint all` starts one under STINT_DATA_DIR for local use (append-only
 * file on, so a restart keeps the timers). Otherwise start-up stops with what to do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { StintError } from '../domain/errors.ts';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RedisEndpoint {
  url: string;
  /** A Redis this process started (stopped by close()). */
  owned: boolean;
  close(): Promise<void>;
}

export async function redisAnswers(url: string, timeoutMs = 1_500): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export async function findRedis(options: {
  url?: string;
  dataDir: string;
  mayStart: boolean;
  logger: Logger;
  /** Where to look when REDIS_URL is unset. @defaultValue DEFAULT_REDIS_URL (tests point it at an empty port) */
  fallbackUrl?: string;
}): Promise<RedisEndpoint> {
  const fallback = options.fallbackUrl ?? DEFAULT_REDIS_URL;
  const none = async () => undefined;
  if (options.url) {
    if (await redisAnswers(options.url)) return { url: options.url, owned: false, close: none };
    throw new StintError('UNAVAILABLE', `Redis at REDIS_URL (${redact(options.url)}) does not answer. Start it, or fix REDIS_URL.`);
  }
  if (await redisAnswers(fallback)) return { url: fallback, owned: false, close: none };
  if (!options.mayStart) {
    throw new StintError('UNAVAILABLE', `No Redis answers at ${fallback}. Set REDIS_URL to your Redis (the queues and timers live there).`);
  }
  return startLocalRedis(options.dataDir, options.logger, fallback);
}

async function startLocalRedis(dataDir: string, logger: Logger, looked: string): Promise<RedisEndpoint> {
  const dir = resolve(join(dataDir, 'redis'));
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', '', '--maxmemory-policy', 'noeviction'], {
    stdio: 'ignore',
  });
  const spawned = await new Promise<boolean>((done) => {
    child.once('error', () => done(false));
    child.once('spawn', () => done(true));
  });
  if (!spawned) {
    throw new StintError(
      'UNAVAILABLE',
      `No Redis answers at ${looked} and redis-server is not installed. Install Redis (apt-get install redis-server, brew install redis) and \`stint all\` starts one itself, or set REDIS_URL.`,
    );
  }
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 50 && !(await redisAnswers(url, 500)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await redisAnswers(url))) {
    child.kill('SIGKILL');
    throw new StintError('UNAVAILABLE', `Started redis-server on port ${port} but it does not answer; see ${dir}`);
  }
  logger.info({ url, dir }, 'no Redis was running: started a local redis-server for this process');
  return {
    url,
    owned: true,
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    },
  };
}

/** A TCP port nothing listens on right now (for a local redis-server; never `--port 0`). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A Redis URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'an unparsable URL';
  }
}
