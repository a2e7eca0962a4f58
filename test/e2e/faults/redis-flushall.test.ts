/**
 * Fault: Redis is FLUSHALLed while grants are scheduled, so every delayed revoke job (and every other BullMQ key)
 * is gone. PostgreSQL still holds the schedule: the reconciler in `stint worker` revokes each grant within the
 * reconcile interval of its expiry, and the worker keeps processing new jobs afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPIRY_BOUND_MS, expectAllRevoked, openFaultRig, waitFor, type FaultRig } from '../../support/fault-rig.ts';
import { metricValue } from '../../support/worker-metrics.ts';
import type { StintProcess } from '../../support/stint-process.ts';

let rig: FaultRig;
let worker: StintProcess;

beforeAll(async () => {
  rig = await openFaultRig({ people: 8 });
  worker = await rig.startWorker('w1');
}, 90_000);

afterAll(async () => {
  await rig?.close();
});

describe('Redis FLUSHALL after grants are scheduled', () => {
  it('still revokes every grant within 20 s of its expiry, and the worker keeps working', async () => {
    const ids = await rig.createRequests(4, '12s');
    await waitFor('4 grants ACTIVE', async () => (await rig.rows(ids)).every((r) => r.status === 'ACTIVE'), 15_000);
    expect((await rig.members()).size).toBe(4);
    const keysBefore = await redisKeys(rig);
    expect(keysBefore.some((k) => k.includes(':revoke:'))).toBe(true);

    const watch = rig.watch(ids);
    await rig.redis.flushAll();
    expect(await redisKeys(rig)).toEqual([]);

    const rows = await expectAllRevoked(rig, ids, 40_000);
    expect(await watch.stop()).toEqual([]);
    for (const r of rows) expect(r.revokedAt!.getTime() - r.expiresAt!.getTime()).toBeLessThanOrEqual(EXPIRY_BOUND_MS);
    const counts = await rig.auditCounts(ids);
    for (const id of ids) expect(counts.get(id)).toMatchObject({ 'grant.activated': 1, 'grant.revoking': 1, 'grant.revoked': 1, 'grant.scope_revoked': 1 });

    // The worker survived the flush: a new request is activated by a grant job (not only by a sweep).
    const before = await metricValue(worker, 'stint_jobs_total', { queue: 'grant', outcome: 'activated' });
    const [fresh] = await rig.createRequests(1, '5s');
    await waitFor('the new grant to be ACTIVE or done', async () => ['ACTIVE', 'REVOKING', 'REVOKED'].includes((await rig.rows([fresh!]))[0]!.status), 10_000);
    // The job counts its outcome after advanceRequest returns, a moment after the row is ACTIVE: wait for the count.
    await waitFor('the grant job to count the activation', async () => (await metricValue(worker, 'stint_jobs_total', { queue: 'grant', outcome: 'activated' })) === before + 1, 5_000);
    await expectAllRevoked(rig, [fresh!], 30_000);
    expect(worker.running()).toBe(true);
  }, 120_000);
});

async function redisKeys(rig: FaultRig): Promise<string[]> {
  const { Redis } = await import('ioredis');
  const r = new Redis(rig.redis.url);
  try {
    return await r.keys('*');
  } finally {
    r.disconnect();
  }
}
