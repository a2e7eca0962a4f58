/**
 * A database with no connection free: Prisma gives up starting a transaction after `maxWait` (P2028). The store
 * turns that into UNAVAILABLE with a Retry-After hint and the "database busy" reason, so surfaces answer "try again"
 * (503 / an ephemeral line) and use cases can tell it from a provider refusal that is already underway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_BUSY, isUnderwayUnavailable, StintError } from '../../src/domain/errors.ts';
import { openTestStore, type TestStore } from '../support/test-database.ts';

describe('store transactions when every connection is busy (postgres)', () => {
  let opened: TestStore;
  beforeAll(async () => {
    opened = await openTestStore('postgres', { poolSize: 1, transaction: { maxWait: 300, timeout: 10_000 } });
  });
  afterAll(async () => {
    await opened?.close();
  });

  it('refuses with UNAVAILABLE, database busy and a retry hint, without running the work', async () => {
    const { store } = opened;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const holding = store.transaction(async () => gate);
    let ran = false;
    const refused = await store
      .transaction(async () => {
        ran = true;
      })
      .catch((err: unknown) => err);
    release();
    await holding;

    expect(refused).toBeInstanceOf(StintError);
    expect(refused).toMatchObject({ code: 'UNAVAILABLE', details: { reason: DATABASE_BUSY, retryAfterSec: 5 } });
    expect((refused as StintError).message).toMatch(/too busy.*nothing was changed.*try again/i);
    expect(isUnderwayUnavailable(refused)).toBe(false);
    expect(ran).toBe(false);
    // The pool is free again: the next transaction runs.
    await expect(store.transaction(async () => 'ok')).resolves.toBe('ok');
  });
});
