import { describe, expect, it } from 'vitest';
import type { GrantHandleRecord } from '../../src/core/ports.ts';
import { makeRequest } from '../support/store-fixtures.ts';
import { TEST_STORE_KINDS, useTestStore } from '../support/test-database.ts';

describe.each(TEST_STORE_KINDS)('grant handles on %s', (kind) => {
  const store = useTestStore(kind);

  const handle = (requestId: string, overrides: Partial<GrantHandleRecord> = {}): GrantHandleRecord => ({
    requestId,
    resourceId: 'orders-db',
    provider: 'postgres',
    config: { type: 'postgres', connection: 'env:ORDERS_DB_ADMIN_URL', role: 'orders_rw', mode: 'membership' },
    data: { mode: 'membership', role: 'orders_rw', account: 'alice', preexisting: false },
    attempts: 0,
    lastError: null,
    ...overrides,
  });

  it('saves a handle with the request and reads back config and data', async () => {
    const request = makeRequest({ scopes: ['orders-db'] });
    await store().transaction(async (tx) => {
      await tx.insertRequest(request);
      await tx.saveGrantHandle(handle(request.id));
    });
    expect(await store().listGrantHandles(request.id)).toEqual([handle(request.id)]);
  });

  it('replaces the handle of the same scope instead of adding a second one', async () => {
    const request = makeRequest({ scopes: ['orders-db'] });
    await store().transaction(async (tx) => {
      await tx.insertRequest(request);
      await tx.saveGrantHandle(handle(request.id));
      await tx.saveGrantHandle(handle(request.id, { data: { mode: 'membership', preexisting: true } }));
    });
    const handles = await store().listGrantHandles(request.id);
    expect(handles).toHaveLength(1);
    expect(handles[0]!.data).toEqual({ mode: 'membership', preexisting: true });
  });

  it('gives the lease to one owner at a time and returns the request as it stands once claimed', async () => {
    const request = makeRequest({ scopes: ['orders-db'], status: 'ACTIVE' });
    await store().transaction(async (tx) => tx.insertRequest(request));
    const now = new Date();
    const until = new Date(now.getTime() + 6_000);
    expect(await store().claimRequest(request.id, 'worker-a', until, now)).toEqual(await store().getRequest(request.id));
    expect(await store().claimRequest(request.id, 'worker-b', until, now)).toBeNull();
    expect((await store().claimRequest(request.id, 'worker-a', until, now))?.status).toBe('ACTIVE');
    expect((await store().claimRequest(request.id, 'worker-b', until, new Date(until.getTime() + 1)))?.id).toBe(request.id);
    expect(await store().claimRequest('jit_00000000000000000000000000', 'worker-a', until, now)).toBeNull();
  });

  it('gives a lease back with a transaction only when that transaction commits, and only to its owner', async () => {
    const request = makeRequest({ scopes: ['orders-db'], status: 'ACTIVE' });
    await store().transaction(async (tx) => tx.insertRequest(request));
    const now = new Date();
    const until = new Date(now.getTime() + 6_000);
    await store().claimRequest(request.id, 'worker-a', until, now);
    const rolledBack = store().transaction(async (tx) => {
      await tx.releaseRequest(request.id, 'worker-a');
      throw new Error('rolled back');
    });
    await expect(rolledBack).rejects.toThrow('rolled back');
    await store().transaction((tx) => tx.releaseRequest(request.id, 'worker-b'));
    expect(await store().claimRequest(request.id, 'worker-b', until, now)).toBeNull();
    await store().transaction((tx) => tx.releaseRequest(request.id, 'worker-a'));
    expect(await store().claimRequest(request.id, 'worker-b', until, now)).not.toBeNull();
  });

  it('takes a lease claimed inside a transaction only when that transaction commits', async () => {
    const request = makeRequest({ scopes: ['orders-db'], status: 'ACTIVE' });
    await store().transaction(async (tx) => tx.insertRequest(request));
    const now = new Date();
    const until = new Date(now.getTime() + 6_000);
    const rolledBack = store().transaction(async (tx) => {
      expect((await tx.claimRequest(request.id, 'worker-a', until, now))?.id).toBe(request.id);
      throw new Error('rolled back');
    });
    await expect(rolledBack).rejects.toThrow('rolled back');
    expect(await store().claimRequest(request.id, 'worker-b', until, now)).not.toBeNull();
    expect(await store().transaction((tx) => tx.claimRequest(request.id, 'worker-a', until, now))).toBeNull();
  });

  it('counts failed attempts with the last error', async () => {
    const request = makeRequest({ scopes: ['orders-db'] });
    await store().transaction(async (tx) => {
      await tx.insertRequest(request);
      await tx.saveGrantHandle(handle(request.id));
    });
    await store().recordGrantError(request.id, 'orders-db', 'connection refused');
    await store().recordGrantError(request.id, 'orders-db', 'still refused');
    expect(await store().listGrantHandles(request.id)).toMatchObject([{ attempts: 2, lastError: 'still refused' }]);
  });

  it('tells whether another ACTIVE request of the same person covers a resource', async () => {
    const mine = makeRequest({ requesterId: 'alice', scopes: ['orders-db'], status: 'ACTIVE' });
    const other = makeRequest({ requesterId: 'alice', scopes: ['orders-db', 'billing-db'], status: 'ACTIVE' });
    const ended = makeRequest({ requesterId: 'alice', scopes: ['orders-db'], status: 'REVOKED' });
    const someoneElse = makeRequest({ requesterId: 'bob', scopes: ['orders-db'], status: 'ACTIVE' });
    await store().transaction(async (tx) => {
      for (const r of [mine, other, ended, someoneElse]) await tx.insertRequest(r);
    });
    expect(await store().hasOtherActiveHolder('alice', 'orders-db', mine.id)).toBe(true);
    expect(await store().hasOtherActiveHolder('alice', 'billing-db', other.id)).toBe(false);
  });

  it('reads the handles of many requests at once', async () => {
    const [a, b, c] = [makeRequest({ scopes: ['orders-db'] }), makeRequest({ scopes: ['orders-db'] }), makeRequest({ scopes: ['orders-db'] })];
    await store().transaction(async (tx) => {
      for (const r of [a, b, c]) {
        await tx.insertRequest(r);
        await tx.saveGrantHandle(handle(r.id));
      }
    });
    expect((await store().listGrantHandlesOf([a.id, c.id])).map((h) => h.requestId).sort()).toEqual([a.id, c.id].sort());
    expect(await store().listGrantHandlesOf([])).toEqual([]);
  });

  it('lists recently ended requests newest first, so a limit keeps the ones that just ended', async () => {
    const since = new Date(Date.UTC(2026, 11, 1, 9, 0));
    const ended = new Date(Date.UTC(2026, 11, 1, 10, 0));
    const [older, newer, newest] = [1, 2, 3].map(() => makeRequest({ status: 'REVOKED', revokedAt: ended }));
    const failed = makeRequest({ status: 'GRANT_FAILED', decidedAt: ended });
    const longAgo = makeRequest({ status: 'REVOKED', revokedAt: new Date(Date.UTC(2026, 11, 1, 8, 0)) });
    await store().transaction(async (tx) => {
      for (const r of [older!, newer!, newest!, failed, longAgo]) await tx.insertRequest(r);
    });
    expect((await store().listRecentlyEnded(since, 2)).map((r) => r.id)).toEqual([failed.id, newest!.id]);
    expect((await store().listRecentlyEnded(since, 10)).map((r) => r.id)).toEqual([failed.id, newest!.id, newer!.id, older!.id]);
  });

  it('reads many requests by id in one listing', async () => {
    const [a, b, c] = [makeRequest(), makeRequest(), makeRequest()];
    await store().transaction(async (tx) => {
      for (const r of [a, b, c]) await tx.insertRequest(r);
    });
    expect((await store().listRequests({ ids: [a.id, c.id, 'jit_unknown'] })).map((r) => r.id)).toEqual([c.id, a.id]);
    expect(await store().listRequests({ ids: [] })).toEqual([]);
  });

  it('lists ACTIVE requests expiring inside a window, soonest first', async () => {
    const at = (min: number) => new Date(Date.UTC(2026, 11, 1, 10, min));
    const rows = [5, 1, 20].map((min) => makeRequest({ status: 'ACTIVE', expiresAt: at(min) }));
    const ended = makeRequest({ status: 'REVOKED', expiresAt: at(2) });
    await store().transaction(async (tx) => {
      for (const r of [...rows, ended]) await tx.insertRequest(r);
    });
    const found = await store().listActiveExpiringBetween(at(0), at(10), 10);
    expect(found.map((r) => r.expiresAt)).toEqual([at(1), at(5)]);
    expect(await store().listActiveExpiringBetween(at(1), at(5), 10)).toHaveLength(1);
  });
});
