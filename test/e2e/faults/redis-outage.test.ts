/**
 * Fault: Redis is stopped for 30 s and started again (append-only file on, as in production). Grants that expire
 * during the outage are still revoked on time by the reconciler, which reads the schedule from PostgreSQL; a
 * request created during the outage (its timer could not be set) is still activated and revoked; the worker
 * process survives, reports not-ready while Redis is away, and its queues work again once Redis is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPIRY_BOUND_MS, expectAllRevoked, openFaultRig, waitFor, type FaultRig } from '../../support/fault-rig.ts';
import { metricValue, metricsUrl } from '../../support/worker-metrics.ts';
import type { StintProcess } from '../../support/stint-process.ts';

const OUTAGE_MS = 30_000;

let rig: FaultRig;
let worker: StintProcess;

beforeAll(async () => {
  rig = await openFaultRig({ people: 6, redisAppendOnly: true });
  worker = await rig.startWorker('w1');
}, 90_000);

afterAll(async () => {
  await rig?.close();
});

const readyStatus = async () => (await fetch(`${metricsUrl(worker)}/readyz`)).status;

describe('Redis stopped for 30 s', () => {
  it('revokes grants expiring meanwhile on time from PostgreSQL, and the worker reconnects', async () => {
    const ids = await rig.createRequests(3, '10s');
    await waitFor('3 grants ACTIVE', async () => (await rig.rows(ids)).every((r) => r.status === 'ACTIVE'), 15_000);
    const watch = rig.watch(ids);
    expect(await readyStatus()).toBe(200);

    await rig.redis.stop();
    const stoppedAt = Date.now();
    await waitFor('/readyz to say Redis is away', async () => (await readyStatus()) === 503, 10_000);
    // Created while Redis is away: the API still answers and PostgreSQL keeps the schedule.
    const [during] = (await rig.createRequests(1, '3s')) as [string];

    const rows = await expectAllRevoked(rig, ids, OUTAGE_MS - (Date.now() - stoppedAt) - 1_000);
    for (const r of rows) expect(r.revokedAt!.getTime() - r.expiresAt!.getTime()).toBeLessThanOrEqual(EXPIRY_BOUND_MS);
    expect(worker.running()).toBe(true);
    expect((await fetch(`${metricsUrl(worker)}/healthz`)).status).toBe(200);

    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt))));
    await rig.redis.start();
    // Everything revoked so far happened without Redis.
    for (const r of rows) expect(r.revokedAt!.getTime()).toBeLessThan(stoppedAt + OUTAGE_MS);
    await waitFor('/readyz to be ready again', async () => (await readyStatus()) === 200, 20_000);
    // The API side too (its queue connection reconnects on its own schedule; until then timers are best effort).
    await waitFor('the API process to be ready again', () => rig.app.readiness().then(() => true), 20_000);

    // The queues work again: a new grant is activated and revoked by jobs, not by a sweep.
    const grantsBefore = await metricValue(worker, 'stint_jobs_total', { queue: 'grant', outcome: 'activated' });
    const revokesBefore = await metricValue(worker, 'stint_jobs_total', { queue: 'revoke', outcome: 'revoked' });
    const [after] = (await rig.createRequests(1, '3s')) as [string];
    await waitFor('the new grant to be activated by its job', async () => (await metricValue(worker, 'stint_jobs_total', { queue: 'grant', outcome: 'activated' })) === grantsBefore + 1, 10_000);
    await waitFor('the new grant to be revoked by its job', async () => (await metricValue(worker, 'stint_jobs_total', { queue: 'revoke', outcome: 'revoked' })) === revokesBefore + 1, 15_000);

    const all = [...ids, during, after];
    const settled = await expectAllRevoked(rig, all, 30_000);
    expect(await watch.stop()).toEqual([]);
    for (const r of settled) expect(r.revokedAt!.getTime() - r.expiresAt!.getTime()).toBeLessThanOrEqual(EXPIRY_BOUND_MS);
    const counts = await rig.auditCounts(all);
    for (const id of all) expect(counts.get(id)).toMatchObject({ 'grant.activated': 1, 'grant.revoking': 1, 'grant.revoked': 1 });
    expect(worker.running()).toBe(true);
  }, 150_000);
});
