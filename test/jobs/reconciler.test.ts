/** The reconciler on real PostgreSQL: one leader among several processes' loops, fail-over, and the sweep. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { createRequest } from '../../src/core/create-request.ts';
import type { DigestItem, GrantPorts } from '../../src/core/ports.ts';
import { startReconciler, type Reconciler } from '../../src/jobs/reconciler.ts';
import { createLogger } from '../../src/logger.ts';
import { PolicyHolder } from '../../src/policy/policy-holder.ts';
import { createNoopProvider } from '../../src/providers/noop/noop-provider.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { FixedClock } from '../fakes/fixed-clock.ts';
import { RecordingNotifier } from '../fakes/recording-notifier.ts';
import { RecordingScheduler } from '../fakes/recording-scheduler.ts';
import { person } from '../support/core-harness.ts';
import { testPolicy } from '../support/policy-fixture.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

let db: TestDatabase;
let store: Store;
let ports: GrantPorts;
let clock: FixedClock;
const noop = createNoopProvider();
const logger = createLogger('silent');
const loops: Reconciler[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  store = await openStore({ databaseUrl: db.url });
  clock = new FixedClock(new Date('2026-11-23T10:00:00Z'));
  ports = { store, clock, notifier: new RecordingNotifier(), scheduler: new RecordingScheduler(), policy: new PolicyHolder(testPolicy()), providers: { get: () => noop } };
}, 60_000);

afterAll(async () => {
  await Promise.all(loops.map((l) => l.stop()));
  await store?.close();
  await db?.drop();
});

const start = () => {
  const loop = startReconciler({ ports, openSession: () => store.openSession(), logger, intervalMs: 60_000 });
  loops.push(loop);
  return loop;
};

describe('reconciler', () => {
  it('elects exactly one leader among loops, and another takes over when the leader stops', async () => {
    const a = start();
    const b = start();
    await a.tick();
    await b.tick();
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    const [leader, follower] = a.isLeader() ? [a, b] : [b, a];
    await leader.stop();
    await follower.tick();
    expect(follower.isLeader()).toBe(true);
  });

  it('revokes a grant that expired while nothing was watching', async () => {
    const { request } = await createRequest(
      person('alice'),
      { identityId: 'alice', scopes: ['dev-api'], duration: '30m', reason: 'debug' },
      { ...ports, channels: new Set() },
    );
    await activateGrant(request.id, ports);
    expect(noop.activeGrants()).toHaveLength(1);
    clock.advance(31 * 60_000);
    const leader = loops.find((l) => l.isLeader()) ?? start();
    await leader.tick();
    await leader.tick();
    expect(await store.getRequest(request.id)).toMatchObject({ status: 'REVOKED', revokeCause: 'expired' });
    expect(noop.activeGrants()).toHaveLength(0);
  });

  it('reminds the reviewers of a break-glass use left unacknowledged for a day, once, from the leader', async () => {
    const { request } = await createRequest(
      person('alice'),
      { identityId: 'alice', scopes: ['prod-orders-db'], duration: '30m', reason: 'INC-9 orders are down, paging everyone', breakGlass: true },
      { ...ports, channels: new Set() },
    );
    const leader = loops.find((l) => l.isLeader()) ?? start();
    clock.advance(24 * 3_600_000 + 1);
    await leader.tick();
    await leader.tick();
    const reminded = (await store.readAudit(0n, 10_000)).filter((e) => e.requestId === request.id && e.action === 'breakglass.review_reminded');
    expect(reminded).toEqual([expect.objectContaining({ data: expect.objectContaining({ breakGlass: true, reviewerIds: ['erin'] }) })]);
    const notified = (ports.notifier as RecordingNotifier).sent.filter((n) => n.kind === 'breakglass.review_reminder' && n.request.id === request.id);
    expect(notified).toHaveLength(1);
  });

  it('sends the approvers\' digest once a day from the leader, and not again after a fail-over (claimed in PostgreSQL)', async () => {
    await Promise.all(loops.splice(0).map((l) => l.stop()));
    // Created just before the hour: still pending (two-dba's window is 30 minutes) when the digest goes out.
    clock.set(new Date('2026-11-24T08:55:00Z'));
    const { request } = await createRequest(
      person('alice'),
      { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-4 stuck orders' },
      { ...ports, channels: new Set() },
    );
    const sent: Array<{ personId: string; ids: string[] }> = [];
    const digest = { sendDigest: async (personId: string, items: DigestItem[]) => void sent.push({ personId, ids: items.map((i) => i.request.id) }) };
    clock.set(new Date('2026-11-24T09:00:05Z'));
    const first = startReconciler({ ports, openSession: () => store.openSession(), logger, intervalMs: 60_000, digest });
    loops.push(first);
    await first.tick();
    await first.tick();
    expect(sent.map((s) => s.personId).sort()).toEqual(['carol', 'dave', 'frank']);
    expect(sent.every((s) => s.ids.includes(request.id))).toBe(true);
    await first.stop();
    const second = startReconciler({ ports, openSession: () => store.openSession(), logger, intervalMs: 60_000, digest });
    loops.push(second);
    await second.tick();
    await second.tick();
    expect(second.isLeader()).toBe(true);
    expect(sent).toHaveLength(3);
    expect((await store.readAudit(0n, 10_000)).filter((e) => e.action === 'digest.sent')).toHaveLength(1);
  });
});
