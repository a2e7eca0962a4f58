/**
 * Fault: the provider's target refuses the first three revoke attempts. The worker reaches the target database
 * through a TCP proxy of the test, switched to "refuse" (connections reset) at the expiry and back to
 * "forward" after the third refused connection. Invariant 5: the request stays REVOKING while refused, each
 * failure is audited (`grant.revoke_failed`, with its attempt) and raised as an alert, the retries back off
 * (5 s, 10 s, 20 s), and the request becomes REVOKED only once the role is really gone — never before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_ADMIN_URL } from '../../support/test-database.ts';
import { expectAllRevoked, openFaultRig, waitFor, type FaultRig } from '../../support/fault-rig.ts';
import type { StintProcess } from '../../support/stint-process.ts';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';

const REFUSALS = 3;

let proxy: TcpProxy;
let rig: FaultRig;
let worker: StintProcess;

beforeAll(async () => {
  const server = new URL(TEST_DATABASE_ADMIN_URL);
  proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
  rig = await openFaultRig({ people: 2, workerTargetUrl: (direct) => proxy.rewrite(direct) });
  worker = await rig.startWorker('w1');
}, 90_000);

afterAll(async () => {
  await rig?.close();
  await proxy?.close();
});

describe('provider refuses the first revoke attempts', () => {
  it('stays REVOKING while refused, alerts, backs off, and is REVOKED only once the role is gone', async () => {
    const [id] = (await rig.createRequests(1, '4s')) as [string];
    await waitFor('the grant to be ACTIVE', async () => (await rig.rows([id]))[0]!.status === 'ACTIVE', 15_000);
    const account = rig.accountOf((await rig.rows([id]))[0]!.requesterId);
    expect(await rig.members()).toContain(account);
    const grantConnections = proxy.forwarded;
    expect(grantConnections).toBeGreaterThan(0);

    // From now on the target is unreachable for Stint, until the third refused connection; the connections the
    // provider keeps pooled from the grant break too, as in a real outage.
    proxy.mode = 'refuse';
    proxy.cut();
    proxy.onRefuse = (n) => {
      if (n >= REFUSALS) proxy.mode = 'forward';
    };
    const watch = rig.watch([id], { expiryBound: false });
    // Poll both while waiting: never REVOKED while the role is held; only REVOKING once the revoke began.
    const seen: Array<{ status: string; member: boolean; refused: number }> = [];
    const rows = await waitFor(
      'the request to be REVOKED',
      async () => {
        // The refusal count first: a status read after it cannot predate those refusals.
        const refused = proxy.refused;
        const [row] = await rig.rows([id]);
        const member = (await rig.members()).has(account);
        seen.push({ status: row!.status, member, refused });
        return row!.status === 'REVOKED' ? row : undefined;
      },
      70_000,
      100,
    );
    expect(await watch.stop()).toEqual([]);
    expect(proxy.refused).toBe(REFUSALS);
    expect(seen.filter((s) => s.status === 'REVOKED' && s.member)).toEqual([]);
    const whileRefused = seen.filter((s) => s.refused > 0 && s.refused < REFUSALS);
    expect(whileRefused.length).toBeGreaterThan(10);
    expect(new Set(whileRefused.map((s) => s.status))).toEqual(new Set(['REVOKING']));
    expect(whileRefused.every((s) => s.member)).toBe(true);

    await expectAllRevoked(rig, [id], 5_000);
    const events = await rig.audit([id]);
    const failed = events.filter((e) => e.action === 'grant.revoke_failed');
    expect(failed.map((e) => e.data.attempt)).toEqual([1, 2, 3]);
    // The backoff: 5 s, 10 s, 20 s between attempts (each event names its next attempt).
    const gaps = failed.map((e) => new Date(e.data.nextAttemptAt as string).getTime() - e.at.getTime());
    expect(gaps).toEqual([5_000, 10_000, 20_000]);
    const revoked = events.find((e) => e.action === 'grant.revoked')!;
    expect(revoked.at.getTime()).toBeGreaterThanOrEqual(new Date(failed[2]!.data.nextAttemptAt as string).getTime());
    expect(events.filter((e) => e.action === 'grant.revoking')).toHaveLength(1);
    expect(events.filter((e) => e.action === 'grant.scope_revoked')).toHaveLength(1);
    expect(events.filter((e) => e.action === 'grant.revoked')).toHaveLength(1);

    // The alert went out for each failure (the log notifier is the alert channel of a Stint without chat).
    const alerts = worker.logs().filter((l) => l.msg === `request ${id}: grant.revoke_failed`);
    expect(alerts).toHaveLength(REFUSALS);
    const handle = await rig.app.store.listGrantHandles(id);
    expect(handle.map((h) => h.attempts)).toEqual([REFUSALS]);
  }, 100_000);
});
