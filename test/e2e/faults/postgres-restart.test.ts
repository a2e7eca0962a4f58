/**
 * Fault: the Stint database's PostgreSQL server restarts mid-transition. The Stint database lives on a private
 * server of this test (the provider's target stays on the shared one); the test holds the audit chain's head row
 * so that the revokes due at the expiry wait inside their ACTIVE → REVOKING transactions, then stops the server
 * (`pg_ctl stop -m fast`: every session ends, those transactions roll back) and starts it 5 s later. The worker
 * survives, its pool and leader session come back, every grant still ends within 20 s of its expiry, each
 * transition is recorded once, and the audit chain verifies.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPIRY_BOUND_MS, expectAllRevoked, openFaultRig, waitFor, type FaultRig } from '../../support/fault-rig.ts';
import { metricsUrl } from '../../support/worker-metrics.ts';
import { privatePostgresAvailable, startPrivatePostgres, type PrivatePostgres } from '../../support/private-postgres.ts';
import type { StintProcess } from '../../support/stint-process.ts';

const OUTAGE_MS = 5_000;
const WORKER = 'w1';

let server: PrivatePostgres;
let rig: FaultRig;
let worker: StintProcess;

describe.skipIf(!privatePostgresAvailable())('PostgreSQL restarted mid-transition', () => {
  beforeAll(async () => {
    server = await startPrivatePostgres();
    rig = await openFaultRig({
      people: 6,
      stintDatabase: async () => {
        const name = `stint_fault_${randomBytes(6).toString('hex')}`;
        return { name, url: await server.createDatabase(name), drop: async () => undefined };
      },
    });
    worker = await rig.startWorker(WORKER);
  }, 90_000);

  afterAll(async () => {
    await rig?.close();
    await server?.close();
  });

  it('rolls back the transitions in flight and still revokes every grant on time, each once', async () => {
    const ids = await rig.createRequests(4, '10s');
    await waitFor('4 grants ACTIVE', async () => (await rig.rows(ids)).every((r) => r.status === 'ACTIVE'), 15_000);
    const watch = rig.watch(ids);
    const expiries = (await rig.rows(ids)).map((r) => r.expiresAt!.getTime());

    // Hold the audit head: each state change appends its event last, so the revokes wait inside their transitions.
    const blocker = new pg.Client({ connectionString: rig.stintDb.url, application_name: 'fault-blocker' });
    blocker.on('error', () => undefined);
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT * FROM "AuditHead" FOR UPDATE');
    expect(Math.min(...expiries) - Date.now(), 'the audit head is held before the first expiry').toBeGreaterThan(500);
    await waitFor(
      'a revoke to wait inside its transition',
      async () => {
        const { rows } = await blocker.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [`stint-${WORKER}`],
        );
        return rows[0]!.n > 0;
      },
      // Up to a reconcile interval: should a timer have been lost, the reconciler's revoke is the one that waits.
      Math.max(...expiries) - Date.now() + 16_000,
      50,
    ).catch(async (err: unknown) => {
      const sessions = await blocker.query(`SELECT state, wait_event_type, wait_event, left(query, 80) AS query FROM pg_stat_activity WHERE application_name LIKE 'stint-%'`);
      const statuses = (await rig.rows(ids)).map((r) => r.status);
      throw new Error(`${String(err)}\nstatuses: ${statuses.join(', ')}\nworker sessions: ${JSON.stringify(sessions.rows)}`);
    });
    // The other revokes, due at the same moment, join the queue behind the audit head in a few milliseconds.
    await new Promise((r) => setTimeout(r, 300));
    // The chain's head as committed at the stop: an event that survives the stop would sit at or below it.
    const headAtStop = BigInt((await blocker.query<{ seq: string }>('SELECT "seq"::text AS seq FROM "AuditHead" WHERE "id" = 1')).rows[0]!.seq);
    await server.stop();
    await blocker.end().catch(() => undefined);
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    await server.start();

    const rows = await expectAllRevoked(rig, ids, 30_000);
    expect(await watch.stop()).toEqual([]);
    for (const r of rows) expect(r.revokedAt!.getTime() - r.expiresAt!.getTime()).toBeLessThanOrEqual(EXPIRY_BOUND_MS);
    const counts = await rig.auditCounts(ids);
    for (const id of ids) expect(counts.get(id)).toMatchObject({ 'grant.activated': 1, 'grant.revoking': 1, 'grant.revoked': 1 });
    // The transitions in flight at the stop were rolled back: the recorded ones committed after the restart. (By
    // commit order, not by `at`: an event's `at` is taken when its use case starts, which can be before the stop
    // for a revoke that only got its connection after the restart.)
    const revoking = (await rig.audit(ids)).filter((e) => e.action === 'grant.revoking');
    expect(revoking.filter((e) => e.seq <= headAtStop)).toEqual([]);

    // The worker is whole again: ready, and a new grant goes through activation and revocation.
    expect(worker.running()).toBe(true);
    await waitFor('the worker to be ready again', async () => (await fetch(`${metricsUrl(worker)}/readyz`)).status === 200, 10_000);
    const [fresh] = (await rig.createRequests(1, '2s')) as [string];
    await expectAllRevoked(rig, [fresh], 25_000);
  }, 120_000);
});
