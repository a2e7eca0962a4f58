/**
 * HA (issue 11): two `stint all` processes — each serving HTTP, running workers and competing for the
 * reconciler's leader lock — on one database and Redis. Requests go to both over HTTP, some of them while the
 * leader is SIGKILLed. The survivor takes the leader lock within seconds, and nothing is lost or
 * done twice: every request row that exists (also one whose create was cut by the kill) ends REVOKED on time,
 * each transition and provider call once (audit), no access outlives its expiry, and the chain verifies.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPIRY_BOUND_MS, expectAllRevoked, openFaultRig, waitFor, type FaultRig } from '../../support/fault-rig.ts';
import type { StintProcess } from '../../support/stint-process.ts';

const LEADER_MSG = 'reconciler: this process is the leader';
/** Non-leaders try the lock every 2 s (jobs/reconciler.ts); the rest is margin for a busy machine. */
const TAKEOVER_MS = 10_000;

let rig: FaultRig;
let a: StintProcess;
let b: StintProcess;
let person = 0;

beforeAll(async () => {
  rig = await openFaultRig({ people: 30 });
  a = await rig.startWorker('a', 'all');
  await a.waitForOutput(new RegExp(LEADER_MSG), 20_000);
  b = await rig.startWorker('b', 'all');
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

function baseUrl(p: StintProcess): string {
  const found = /Stint all listening on (http:\/\/\S+)/.exec(p.output());
  if (!found) throw new Error(`${p.name} printed no URL`);
  return found[1]!.replace('localhost', '127.0.0.1');
}

/** Creates an auto-approved request for the next person over `p`'s REST API; the id, or the error when the call failed. */
async function create(p: StintProcess, duration: string): Promise<{ id?: string; error?: string }> {
  const identityId = `p${person++}`;
  try {
    const res = await fetch(`${baseUrl(p)}/api/v1/credentials/jit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${rig.workerEnv('x').STINT_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ identityId, reason: 'ha test', scopes: ['target-db'], duration }),
    });
    const body = (await res.json()) as { id?: string; status?: string };
    if (res.status !== 201 || body.status !== 'APPROVED') return { error: `${res.status} ${JSON.stringify(body)}` };
    return { id: body.id };
  } catch (err) {
    return { error: String(err) };
  }
}

async function allRequestIds(): Promise<string[]> {
  const client = new pg.Client({ connectionString: rig.stintDb.url });
  await client.connect();
  try {
    return (await client.query<{ id: string }>('SELECT "id" FROM "Request"')).rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

const isLeader = (p: StintProcess) => p.logs().some((l) => l.msg === LEADER_MSG);

describe('two `stint all` processes, the leader SIGKILLed', () => {
  it('the survivor takes over leadership and every request ends once, on time', async () => {
    expect(isLeader(a)).toBe(true);
    expect(isLeader(b)).toBe(false);

    // Before the kill: grants through both processes, expiring after it.
    const before = await Promise.all([...Array(5)].map(() => create(a, '15s')).concat([...Array(5)].map(() => create(b, '15s'))));
    expect(before.filter((r) => r.error)).toEqual([]);
    const beforeIds = before.map((r) => r.id!);
    const watch = rig.watch(beforeIds);
    await waitFor('the first grants to be ACTIVE', async () => (await rig.rows(beforeIds)).every((r) => r.status === 'ACTIVE'), 30_000);

    // Creates in flight at the leader while it dies: each either answered 201 (and must complete) or was cut.
    // Staggered, and the kill lands as soon as the first has answered, so some are answered and some cut.
    const inFlight: Array<Promise<{ id?: string; error?: string }>> = [];
    for (let i = 0; i < 6; i++) {
      inFlight.push(create(a, '8s'));
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.race(inFlight);
    await a.kill();
    const cut = await Promise.all(inFlight);
    expect(cut.some((r) => r.id)).toBe(true);
    // After the kill: the survivor alone, with grants shorter than the takeover.
    const after = await Promise.all([...Array(6)].map(() => create(b, '6s')));
    expect(after.filter((r) => r.error)).toEqual([]);

    const killedAt = Date.now();
    await b.waitForOutput(new RegExp(LEADER_MSG), TAKEOVER_MS + 5_000);
    expect(Date.now() - killedAt).toBeLessThanOrEqual(TAKEOVER_MS);

    // Every row there is — including a create the kill cut after its commit — must end REVOKED.
    const ids = await allRequestIds();
    const known = [...beforeIds, ...after.map((r) => r.id!), ...cut.flatMap((r) => (r.id ? [r.id] : []))];
    for (const id of known) expect(ids).toContain(id);
    const rows = await expectAllRevoked(rig, ids, 60_000);
    expect(await watch.stop()).toEqual([]);
    for (const r of rows) expect(r.revokedAt!.getTime() - r.expiresAt!.getTime(), r.id).toBeLessThanOrEqual(EXPIRY_BOUND_MS);

    const counts = await rig.auditCounts(ids);
    const wrong = [...counts].filter(
      ([, c]) =>
        c['request.created'] !== 1 ||
        c['grant.scope_granted'] !== 1 ||
        c['grant.activated'] !== 1 ||
        c['grant.revoking'] !== 1 ||
        c['grant.scope_revoked'] !== 1 ||
        c['grant.revoked'] !== 1,
    );
    expect(wrong).toEqual([]);
    expect(b.running()).toBe(true);
  }, 180_000);
});
