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

  it('counts the other ACTIVE requests of the same person covering a resource', async () => {
    const mine = makeRequest({ requesterId: 'alice', scopes: ['orders-db'], status: 'ACTIVE' });
    const other = makeRequest({ requesterId: 'alice', scopes: ['orders-db', 'billing-db'], status: 'ACTIVE' });
    const ended = makeRequest({ requesterId: 'alice', scopes: ['orders-db'], status: 'REVOKED' });
    const someoneElse = makeRequest({ requesterId: 'bob', scopes: ['orders-db'], status: 'ACTIVE' });
    await store().transaction(async (tx) => {
      for (const r of [mine, other, ended, someoneElse]) await tx.insertRequest(r);
    });
    expect(await store().countOtherActiveHolders('alice', 'orders-db', mine.id)).toBe(1);
    expect(await store().countOtherActiveHolders('alice', 'billing-db', other.id)).toBe(0);
  });
});
