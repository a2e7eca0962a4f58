/**
 * Graceful shutdown (issue 11): SIGTERM to a `stint all` whose worker is inside a provider call (a REVOKE held
 * up by the test's lock on the target). The process stops taking work at once — new HTTP connections are
 * refused, a grant that becomes due meanwhile is left for another worker — finishes the revoke in flight, and
 * exits with code 0 well within 25 s. The grant it left behind is then done once by the next worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAllRevoked, openFaultRig, waitFor, type FaultRig } from '../../support/fault-rig.ts';
import { holdProviderLock, providerCallBlocked } from '../../support/provider-lock.ts';
import type { StintProcess } from '../../support/stint-process.ts';

/** How long the test keeps the revoke waiting after the SIGTERM (below the provider's 10 s statement timeout). */
const HELD_MS = 4_000;

let rig: FaultRig;
let server: StintProcess;

beforeAll(async () => {
  rig = await openFaultRig({ people: 4 });
  server = await rig.startWorker('s1', 'all');
}, 90_000);

afterAll(async () => {
  await rig?.close();
});

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/healthz`);
    return true;
  } catch {
    return false;
  }
}

describe('SIGTERM while a provider call is in flight', () => {
  it('refuses new work, finishes the call, exits 0 within 25 s; the next worker does what was left', async () => {
    const url = /Stint all listening on (http:\/\/\S+)/.exec(server.output())![1]!.replace('localhost', '127.0.0.1');
    expect(await answers(url)).toBe(true);
    const [id] = (await rig.createRequests(1, '4s')) as [string];
    await waitFor('the grant to be ACTIVE', async () => (await rig.rows([id]))[0]!.status === 'ACTIVE', 20_000);
    const account = rig.accountOf((await rig.rows([id]))[0]!.requesterId);

    const lock = await holdProviderLock(rig, account);
    let exit: Promise<number | null>;
    const sentAt = Date.now();
    let left: string;
    try {
      await waitFor('the revoke to be blocked in the provider', async () => (await rig.rows([id]))[0]!.status === 'REVOKING' && (await providerCallBlocked(rig)), 20_000, 50);
      exit = server.stop(40_000);
      await waitFor('new connections to be refused', async () => !(await answers(url)), 3_000, 50);
      expect(server.running(), 'still draining while the provider call is held').toBe(true);
      // Due now, and the timer is in Redis: a process that still took jobs would activate it.
      [left] = (await rig.createRequests(1, '3s')) as [string];
      await new Promise((r) => setTimeout(r, HELD_MS - (Date.now() - sentAt)));
      expect(server.running()).toBe(true);
    } finally {
      await lock.release();
    }
    expect(await exit).toBe(0);
    expect(Date.now() - sentAt).toBeLessThan(25_000);

    // The revoke in flight was finished by the stopping process; the later grant was not touched.
    const rows = await rig.rows([id, left]);
    expect(rows.map((r) => r.status)).toEqual(id < left ? ['REVOKED', 'APPROVED'] : ['APPROVED', 'REVOKED']);
    expect(await rig.members()).not.toContain(account);
    expect(server.logs().some((l) => /shutting down/.test(String(l.msg)))).toBe(true);

    await rig.startWorker('w2');
    await expectAllRevoked(rig, [id, left], 40_000);
    const counts = await rig.auditCounts([id, left]);
    for (const c of counts.values()) expect(c).toMatchObject({ 'grant.activated': 1, 'grant.revoking': 1, 'grant.scope_revoked': 1, 'grant.revoked': 1 });
  }, 120_000);
});
