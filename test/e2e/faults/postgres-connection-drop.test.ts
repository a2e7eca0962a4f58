/**
 * Fault: the worker's PostgreSQL connections to the Stint database are terminated (`pg_terminate_backend`, as a
 * failover or an idle-connection reaper would) while it moves requests — its pool, its migration session and the
 * reconciler's leader session alike. Whatever transaction was in flight rolls back; jobs are retried and the
 * reconciler (re-elected on a fresh session) covers the rest. Every grant still ends within 20 s of its expiry,
 * each transition happens once, and the audit chain verifies.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPIRY_BOUND_MS, expectAllRevoked, openFaultRig, waitFor, type FaultRig } from '../../support/fault-rig.ts';
import { metricsUrl } from '../../support/worker-metrics.ts';
import type { StintProcess } from '../../support/stint-process.ts';

const WORKER = 'w1';

let rig: FaultRig;
let worker: StintProcess;

beforeAll(async () => {
  rig = await openFaultRig({ people: 8 });
  worker = await rig.startWorker(WORKER);
}, 90_000);

afterAll(async () => {
  await rig?.close();
});

/** Sessions of the worker on the Stint database (the rig names them by application_name), optionally only those waiting on a lock. */
async function workerSessions(onlyWaiting = false): Promise<number[]> {
  const { rows } = await rig.target.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND ($3::boolean IS FALSE OR wait_event_type = 'Lock')`,
    [rig.stintDb.name, `stint-${WORKER}`, onlyWaiting],
  );
  return rows.map((r) => r.pid);
}

async function terminate(pids: number[]): Promise<number> {
  if (pids.length === 0) return 0;
  const { rows } = await rig.target.query<{ n: number }>('SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM unnest($1::int[]) AS pid', [pids]);
  return rows[0]!.n;
}

/** Terminates every session of the worker on the Stint database, every `everyMs`, until `untilMs` (epoch ms). */
async function dropConnections(untilMs: number, everyMs = 150): Promise<number> {
  let terminated = 0;
  while (Date.now() < untilMs) {
    terminated += await terminate(await workerSessions());
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return terminated;
}

describe('PostgreSQL connections dropped mid-transition', () => {
  it('activates and revokes every grant on time while the worker keeps losing its connections, each transition once', async () => {
    // Cut while the grants are being activated…
    const creating = rig.createRequests(6, '8s');
    const duringGrants = await dropConnections(Date.now() + 1_500);
    const ids = await creating;
    const watch = rig.watch(ids);
    await waitFor('every grant activated', async () => (await rig.rows(ids)).every((r) => r.expiresAt !== null), 30_000).catch(async (err: unknown) => {
      throw new Error(`${String(err)}\n${await rig.diagnostics(ids)}`);
    });

    // …and again while they are being revoked (activations the cuts delayed expire later).
    const expiries = (await rig.rows(ids)).map((r) => r.expiresAt!.getTime());
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(...expiries) - Date.now() - 300)));
    const duringRevokes = await dropConnections(Math.max(...expiries) + 2_500);
    expect(duringGrants).toBeGreaterThan(0);
    expect(duringRevokes).toBeGreaterThan(0);

    const rows = await expectAllRevoked(rig, ids, 40_000);
    expect(await watch.stop()).toEqual([]);
    for (const r of rows) expect(r.revokedAt!.getTime() - r.expiresAt!.getTime()).toBeLessThanOrEqual(EXPIRY_BOUND_MS);
    const counts = await rig.auditCounts(ids);
    for (const id of ids) {
      expect(counts.get(id)).toMatchObject({ 'grant.activated': 1, 'grant.revoking': 1, 'grant.revoked': 1 });
      expect(counts.get(id)!['grant.failed']).toBeUndefined();
      // A provider call may repeat after a dropped connection (providers are idempotent), but it is never lost.
      expect(counts.get(id)!['grant.scope_granted']).toBeGreaterThanOrEqual(1);
      expect(counts.get(id)!['grant.scope_revoked']).toBeGreaterThanOrEqual(1);
    }
    expect(worker.running()).toBe(true);
    await waitFor('the worker to be ready again', async () => (await fetch(`${metricsUrl(worker)}/readyz`)).status === 200, 10_000);
  }, 90_000);

  // Regression (found by this test, fixed in face5e2): a store error after the provider granted ended GRANT_FAILED
  // with the role still held and no handle left to revoke it.
  it('never leaves a grant behind when the connection drops between the provider grant and saving its handle', async () => {
    // Hold the handle table so the worker's save waits, then drop exactly that session.
    const blocker = new pg.Client({ connectionString: rig.stintDb.url, application_name: 'fault-blocker' });
    blocker.on('error', () => undefined);
    await blocker.connect();
    let id: string;
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE "GrantHandle" IN ACCESS EXCLUSIVE MODE');
      [id] = (await rig.createRequests(1, '4s')) as [string];
      const account = rig.accountOf((await rig.rows([id]))[0]!.requesterId);
      const waiting = await waitFor('the handle save to wait on the lock', async () => {
        const pids = await workerSessions(true);
        return pids.length > 0 ? pids : undefined;
      }, 15_000, 50);
      expect(await rig.members()).toContain(account); // the provider already granted
      expect(await terminate(waiting)).toBe(waiting.length);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }

    const account = rig.accountOf((await rig.rows([id]))[0]!.requesterId);
    const watch = rig.watch([id]);
    const [settled] = await waitFor('the request to settle', async () => {
      const r = await rig.rows([id]);
      return ['REVOKED', 'GRANT_FAILED'].includes(r[0]!.status) ? r : undefined;
    }, 40_000);
    // Either outcome is fine, as long as the access is gone by the bound.
    await waitFor(`${account} to lose the role (request ${settled!.status})`, async () => !(await rig.members()).has(account), EXPIRY_BOUND_MS);
    expect(await watch.stop()).toEqual([]);
    if (settled!.status === 'REVOKED') expect(settled!.revokedAt!.getTime() - settled!.expiresAt!.getTime()).toBeLessThanOrEqual(EXPIRY_BOUND_MS);
    expect((await rig.verifyAudit()).ok).toBe(true);
  }, 90_000);
});
