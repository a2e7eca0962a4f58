/** The Scheduler port on BullMQ: deterministic job ids, delays, and never failing a use case when Redis is away. */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { BullmqScheduler } from '../../src/jobs/bullmq-scheduler.ts';
import { closeQueues, createQueues, jobIds, type StintQueues } from '../../src/jobs/queues.ts';
import { freePort } from '../../src/jobs/redis.ts';
import { createLogger } from '../../src/logger.ts';
import { sharedRedisEnv } from '../support/test-redis.ts';

const { REDIS_URL, STINT_QUEUE_PREFIX } = sharedRedisEnv();
const connection = new Redis(REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
const queues: StintQueues = createQueues(connection, STINT_QUEUE_PREFIX);
const scheduler = new BullmqScheduler(queues, createLogger('silent'));
const ID = 'jit_01JDT6Z3Q4M5N6P7R8S9T0V1W2';

afterAll(async () => {
  await Promise.all(Object.values(queues).map((q) => q.obliterate({ force: true })));
  await closeQueues(queues);
  connection.disconnect();
});

describe('BullmqScheduler', () => {
  it('sets a revoke timer once per key: the same key again is a no-op, a new generation is a new job', async () => {
    const at = new Date(Date.now() + 60_000);
    await scheduler.revokeAt(ID, 'g0', at);
    await scheduler.revokeAt(ID, 'g0', new Date(at.getTime() + 5_000));
    await scheduler.revokeAt(ID, 'g1', new Date(at.getTime() + 3_600_000));
    const jobs = await queues.revoke.getDelayed();
    expect(jobs.map((j) => j.id).sort()).toEqual([jobIds.revoke(ID, 'g0'), jobIds.revoke(ID, 'g1')]);
    const first = jobs.find((j) => j.id === jobIds.revoke(ID, 'g0'))!;
    expect(first.data).toEqual({ requestId: ID });
    expect(first.timestamp + first.delay).toBeGreaterThanOrEqual(at.getTime() - 1_000);
    expect(first.timestamp + first.delay).toBeLessThanOrEqual(at.getTime() + 1_000);
  });

  it('puts activation on the grant queue and the reminder on the remind queue, ids only in the data', async () => {
    await scheduler.activateSoon(ID);
    await scheduler.remindAt(ID, 2, new Date(Date.now() + 60_000));
    expect((await queues.grant.getJob(jobIds.grant(ID)))?.data).toEqual({ requestId: ID });
    expect((await queues.remind.getJob(jobIds.remind(ID, 2)))?.data).toEqual({ requestId: ID, generation: 2 });
  });

  it('never uses a colon in a job id (BullMQ refuses them)', () => {
    expect([jobIds.grant(ID), jobIds.revoke(ID, 'r3'), jobIds.remind(ID, 0)].join(' ')).not.toContain(':');
  });

  it('answers at once, without throwing, when Redis does not answer (the reconciler covers the timer)', async () => {
    const dead = new Redis(`redis://127.0.0.1:${await freePort()}`, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    dead.on('error', () => undefined);
    const warnings: unknown[] = [];
    const logger = createLogger('silent');
    logger.warn = ((obj: unknown) => void warnings.push(obj)) as typeof logger.warn;
    const deadQueues = createQueues(dead, STINT_QUEUE_PREFIX);
    const started = Date.now();
    await new BullmqScheduler(deadQueues, logger).activateSoon(ID);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(warnings).toHaveLength(1);
    await closeQueues(deadQueues);
    dead.disconnect();
  });
});
