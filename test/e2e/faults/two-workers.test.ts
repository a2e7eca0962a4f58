/**
 * Fault: two `stint worker` processes on the same database and Redis, many grants at once — some created before
 * the workers start (their grant jobs and the leader's start-up sweep race for the same rows), the rest while
 * both run. Invariant 2: each transition happens once and each provider call happens once, which the audit
 * shows — per request one `grant.activated`, `grant.revoking`, `grant.revoked`, and per request and scope one
 * `grant.scope_granted` and one `grant.scope_revoked`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPIRY_BOUND_MS, expectAllRevoked, openFaultRig, waitFor, type FaultRig } from '../../support/fault-rig.ts';
import { metricValue } from '../../support/worker-metrics.ts';
import type { StintProcess } from '../../support/stint-process.ts';

const EARLY = 10;
const LATER = 10;

let rig: FaultRig;
let workers: StintProcess[] = [];

beforeAll(async () => {
  rig = await openFaultRig({ people: EARLY + LATER });
}, 90_000);

afterAll(async () => {
  await rig?.close();
});

describe('two workers on one database and Redis', () => {
  it('make each transition and each provider call once', async () => {
    // Created while no worker runs: the grant jobs wait in Redis and every row is due for the first sweep.
    const early = await rig.createRequests(EARLY, '8s');
    workers = await Promise.all([rig.startWorker('w1'), rig.startWorker('w2')]);
    const later = await rig.createRequests(LATER, '10s');
    const ids = [...early, ...later];
    const watch = rig.watch(ids);

    await waitFor('every grant to be activated', async () => (await rig.rows(ids)).every((r) => r.status !== 'APPROVED'), 30_000);
    const rows = await expectAllRevoked(rig, ids, 45_000);
    expect(await watch.stop()).toEqual([]);
    for (const r of rows) expect(r.revokedAt!.getTime() - r.expiresAt!.getTime()).toBeLessThanOrEqual(EXPIRY_BOUND_MS);

    const counts = await rig.auditCounts(ids);
    const wrong = [...counts].filter(
      ([, c]) =>
        c['grant.scope_granted'] !== 1 ||
        c['grant.activated'] !== 1 ||
        c['grant.revoking'] !== 1 ||
        c['grant.scope_revoked'] !== 1 ||
        c['grant.revoked'] !== 1 ||
        c['grant.failed'] !== undefined ||
        c['grant.revoke_failed'] !== undefined,
    );
    expect(wrong).toEqual([]);

    // Both processes really worked: each ran grant or revoke jobs.
    for (const w of workers) {
      const jobs = (await metricValue(w, 'stint_jobs_total', { queue: 'grant' })) + (await metricValue(w, 'stint_jobs_total', { queue: 'revoke' }));
      expect(jobs, `${w.name} ran no jobs`).toBeGreaterThan(0);
    }
  }, 120_000);
});
