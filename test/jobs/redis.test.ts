/** Finding Redis: REDIS_URL, the default address, or (for `stint all`) a local redis-server it starts. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRedis, freePort, redact, redisAnswers } from '../../src/jobs/redis.ts';
import { createLogger } from '../../src/logger.ts';
import { sharedRedisEnv } from '../support/test-redis.ts';

const logger = createLogger('silent');
const dataDir = mkdtempSync(join(tmpdir(), 'stint-redis-find-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('findRedis', () => {
  it('uses REDIS_URL when it answers', async () => {
    const { REDIS_URL } = sharedRedisEnv();
    expect(await findRedis({ url: REDIS_URL, dataDir, mayStart: false, logger })).toMatchObject({ url: REDIS_URL, owned: false });
  });

  it('refuses a REDIS_URL that does not answer, naming it without its password', async () => {
    const url = `redis://:hunter2@127.0.0.1:${await freePort()}`;
    const found = findRedis({ url, dataDir, mayStart: true, logger });
    await expect(found).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(found).rejects.toThrow(/REDIS_URL .*\*\*\*.* does not answer/);
    await expect(found).rejects.not.toThrow(/hunter2/);
  });

  it('says to set REDIS_URL when nothing answers and it may not start one (serve, worker)', async () => {
    const fallbackUrl = `redis://127.0.0.1:${await freePort()}`;
    await expect(findRedis({ dataDir, mayStart: false, logger, fallbackUrl })).rejects.toThrow(/No Redis answers at .* Set REDIS_URL/);
  });

  it('starts a local redis-server under the data folder when nothing answers (stint all), and stops it on close', async () => {
    const fallbackUrl = `redis://127.0.0.1:${await freePort()}`;
    const local = await findRedis({ dataDir, mayStart: true, logger, fallbackUrl });
    expect(local.owned).toBe(true);
    expect(local.url).not.toBe(fallbackUrl);
    expect(await redisAnswers(local.url)).toBe(true);
    await local.close();
    expect(await redisAnswers(local.url)).toBe(false);
  }, 20_000);
});

describe('redact', () => {
  it('hides the password of a Redis URL', () => {
    expect(redact('redis://user:secret@host:6380/0')).toBe('redis://user:***@host:6380/0');
  });
});
