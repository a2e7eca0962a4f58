/**
 * The soak's own redis-server on a free port, with the production settings of the README (DESIGN.md section 4):
 * `appendonly yes`, `appendfsync everysec`, `maxmemory-policy noeviction`, no RDB snapshots. `stop()` + `start()`
 * is the Redis restart fault (same port, same directory, so the append-only file brings the timers back).
 * `commandsProcessed()` reads INFO stats; the counter starts again from 0 after a restart (the caller adds up).
 */
import { Redis } from 'ioredis';
import { startTestRedis } from '../../test/support/test-redis.ts';

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
  const redis = await startTestRedis({ appendOnly: true, extraArgs: ['--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction'] });
  let client: Redis | undefined;
  const info = async (section: string, field: string): Promise<number | null> => {
    if (!client) {
      client = new Redis(redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
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
  return {
    url: redis.url,
    stop: redis.stop,
    start: redis.start,
    commandsProcessed: () => info('stats', 'total_commands_processed'),
    usedMemoryMb: async () => {
      const bytes = await info('memory', 'used_memory');
      return bytes === null ? null : bytes / 1024 / 1024;
    },
    async close() {
      client?.disconnect();
      await redis.close();
    },
  };
}
