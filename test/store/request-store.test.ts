import { describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/domain/request.ts';
import { at, makeAudit, makeDecision, makeRequest } from '../support/store-fixtures.ts';
import { TEST_STORE_KINDS, useTestStore } from '../support/test-database.ts';

describe.each(TEST_STORE_KINDS)('request store on %s', (kind) => {
  const store = useTestStore(kind);

  async function inserted(overrides: Partial<AccessRequest> = {}): Promise<AccessRequest> {
    const request = makeRequest(overrides);
    await store().transaction((tx) => tx.insertRequest(request));
    return request;
  }

  it('reads back an inserted request unchanged (ms timestamps, lists, JSON risk signals)', async () => {
    const request = await inserted({
      scopes: ['prod-orders-db', 'prod-payments-db'],
      riskSignals: ['off_hours', 'new_resource'],
      notifyChannels: [],
      expiresAt: at('2026-11-23T12:00:00.999Z'),
      revokeCause: 'expired',
      ticket: null,
    });
    expect(await store().getRequest(request.id)).toEqual(request);
  });

  it('returns null for an unknown request id', async () => {
    expect(await store().getRequest('jit_unknown')).toBeNull();
  });

  it('lockRequest returns the row inside a transaction', async () => {
    const request = await inserted();
    const locked = await store().transaction((tx) => tx.lockRequest(request.id));
    expect(locked).toEqual(request);
  });

  it('lockRequest returns null for an unknown id', async () => {
    expect(await store().transaction((tx) => tx.lockRequest('jit_nope'))).toBeNull();
  });

  it('lockRequest makes a second transaction wait until the first commits, then shows it the new status', async () => {
    const request = await inserted();
    let releaseFirst!: () => void;
    const firstHoldsLock = new Promise<void>((resolve) => {
      const first = store().transaction(async (tx) => {
        await tx.lockRequest(request.id);
        resolve();
        await new Promise<void>((release) => (releaseFirst = release));
        return tx.transition(request.id, 'PENDING', 'APPROVED');
      });
      void first;
    });
    await firstHoldsLock;
    const second = store().transaction(async (tx) => (await tx.lockRequest(request.id))?.status);
    await new Promise((resolve) => setTimeout(resolve, 100));
    releaseFirst();
    expect(await second).toBe('APPROVED');
  });

  it('transition moves the status and applies the patch', async () => {
    const request = await inserted();
    const decidedAt = at('2026-11-23T10:06:00.321Z');
    const moved = await store().transaction((tx) =>
      tx.transition(request.id, 'PENDING', 'APPROVED', { decidedAt, decidedBy: 'bob', nextActionAt: null }),
    );
    expect(moved).toBe(true);
    expect(await store().getRequest(request.id)).toEqual({
      ...request,
      status: 'APPROVED',
      decidedAt,
      decidedBy: 'bob',
      nextActionAt: null,
    });
  });

  it('a second transition from a stale status returns false and changes nothing', async () => {
    const request = await inserted();
    expect(await store().transaction((tx) => tx.transition(request.id, 'PENDING', 'APPROVED'))).toBe(true);
    const again = await store().transaction((tx) => tx.transition(request.id, 'PENDING', 'DENIED', { decidedBy: 'eve' }));
    expect(again).toBe(false);
    expect(await store().getRequest(request.id)).toMatchObject({ status: 'APPROVED', decidedBy: null });
  });

  it('refuses a status outside the state machine (database CHECK)', async () => {
    const request = await inserted();
    await expect(
      store().transaction((tx) => tx.transition(request.id, 'PENDING', 'BOGUS' as AccessRequest['status'])),
    ).rejects.toThrow();
    expect((await store().getRequest(request.id))?.status).toBe('PENDING');
  });

  it('insertDecision returns true then false for the same approver, and the transaction still commits', async () => {
    const request = await inserted();
    const result = await store().transaction(async (tx) => {
      const first = await tx.insertDecision(makeDecision(request.id, { approverId: 'bob' }));
      const second = await tx.insertDecision(makeDecision(request.id, { approverId: 'bob', verdict: 'deny' }));
      const moved = await tx.transition(request.id, 'PENDING', 'APPROVED');
      await tx.appendAudit(makeAudit({ action: 'request.approved', requestId: request.id }));
      return { first, second, moved };
    });
    expect(result).toEqual({ first: true, second: false, moved: true });
    expect((await store().getRequest(request.id))?.status).toBe('APPROVED');
    const decisions = await store().listDecisions(request.id);
    expect(decisions.map((d) => [d.approverId, d.verdict])).toEqual([['bob', 'approve']]);
  });

  it('listDecisions returns decisions in time order, with their fields intact', async () => {
    const request = await inserted({ required: 2 });
    const later = makeDecision(request.id, { approverId: 'carol', at: at('2026-11-23T10:07:00.002Z'), via: 'teams' });
    const earlier = makeDecision(request.id, { approverId: 'bob', at: at('2026-11-23T10:06:00.001Z'), comment: 'ok' });
    await store().transaction(async (tx) => {
      await tx.insertDecision(later);
      await tx.insertDecision(earlier);
    });
    expect(await store().listDecisions(request.id)).toEqual([earlier, later]);
    expect(await store().transaction((tx) => tx.listDecisions(request.id))).toEqual([earlier, later]);
  });

  it('listRequests filters by status, requester and workflow, newest first', async () => {
    const requester = `req-${kind}-filter`;
    const a = await inserted({ requesterId: requester, workflow: 'db' });
    const b = await inserted({ requesterId: requester, workflow: 'k8s' });
    const c = await inserted({ requesterId: requester, workflow: 'db', status: 'DENIED' });
    await inserted({ requesterId: 'someone-else', workflow: 'db' });
    const ids = (list: AccessRequest[]) => list.map((r) => r.id);
    expect(ids(await store().listRequests({ requesterId: requester }))).toEqual([c.id, b.id, a.id]);
    expect(ids(await store().listRequests({ requesterId: requester, statuses: ['PENDING'] }))).toEqual([b.id, a.id]);
    expect(ids(await store().listRequests({ requesterId: requester, workflows: ['db'] }))).toEqual([c.id, a.id]);
  });

  it('listRequests pages with limit and beforeId (keyset on the ULID id)', async () => {
    const requester = `req-${kind}-pages`;
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await inserted({ requesterId: requester }));
    const newestFirst = made.map((r) => r.id).reverse();
    const page1 = await store().listRequests({ requesterId: requester, limit: 2 });
    const page2 = await store().listRequests({ requesterId: requester, limit: 2, beforeId: page1.at(-1)!.id });
    const page3 = await store().listRequests({ requesterId: requester, limit: 2, beforeId: page2.at(-1)!.id });
    expect([...page1, ...page2, ...page3].map((r) => r.id)).toEqual(newestFirst);
  });

  it('countAutoApprovals counts auto-approved requests of the requester created since the date', async () => {
    const requester = `req-${kind}-auto`;
    await inserted({ requesterId: requester, autoApproved: true, createdAt: at('2026-11-20T00:00:00.000Z') });
    await inserted({ requesterId: requester, autoApproved: true, createdAt: at('2026-11-23T00:00:00.000Z') });
    await inserted({ requesterId: requester, autoApproved: false, createdAt: at('2026-11-23T00:00:00.000Z') });
    await inserted({ requesterId: 'other', autoApproved: true, createdAt: at('2026-11-23T00:00:00.000Z') });
    expect(await store().countAutoApprovals(requester, at('2026-11-22T00:00:00.000Z'))).toBe(1);
  });

  it('countDenials counts denied requests of the requester decided since the date', async () => {
    const requester = `req-${kind}-denied`;
    await inserted({ requesterId: requester, status: 'DENIED', decidedAt: at('2026-11-20T00:00:00.000Z') });
    await inserted({ requesterId: requester, status: 'DENIED', decidedAt: at('2026-11-23T00:00:00.000Z') });
    await inserted({ requesterId: requester, status: 'APPROVED', decidedAt: at('2026-11-23T00:00:00.000Z') });
    expect(await store().countDenials(requester, at('2026-11-22T00:00:00.000Z'))).toBe(1);
  });

  it('listOpenRequestsOf lists the pending, approved and active requests of those requesters only', async () => {
    const leaver = `req-${kind}-leaver`;
    const pending = await inserted({ requesterId: leaver, status: 'PENDING' });
    const approved = await inserted({ requesterId: leaver, status: 'APPROVED' });
    const active = await inserted({ requesterId: leaver, status: 'ACTIVE' });
    await inserted({ requesterId: leaver, status: 'REVOKED' });
    await inserted({ requesterId: leaver, status: 'DENIED' });
    await inserted({ requesterId: `req-${kind}-stayer`, status: 'PENDING' });
    const open = await store().listOpenRequestsOf([leaver]);
    expect(open.map((r) => r.id)).toEqual([pending.id, approved.id, active.id]);
    expect(await store().listOpenRequestsOf([])).toEqual([]);
  });

  it('rolls back everything a transaction did when its work throws', async () => {
    const request = makeRequest();
    await expect(
      store().transaction(async (tx) => {
        await tx.insertRequest(request);
        throw new Error('provider said no');
      }),
    ).rejects.toThrow('provider said no');
    expect(await store().getRequest(request.id)).toBeNull();
  });

  it('refuses a store call made inside its own transaction (it would escape the transaction)', async () => {
    const request = await inserted();
    await expect(store().transaction(() => store().getRequest(request.id))).rejects.toThrow(
      /store\.getRequest\(\) was called inside store\.transaction\(\)/,
    );
    await expect(store().transaction(() => store().transaction(async () => 1))).rejects.toThrow(/store\.transaction\(\)/);
  });

  it('allows store calls scheduled from inside a transaction that run after it ended', async () => {
    const request = await inserted();
    let later: Promise<AccessRequest | null> | undefined;
    await store().transaction(async () => {
      later = new Promise((resolve) => setTimeout(resolve, 20)).then(() => store().getRequest(request.id));
    });
    expect((await later)?.id).toBe(request.id);
  });
});
