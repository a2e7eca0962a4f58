/** The grant lease (core/lease.ts): one holder at a time, given back by the holder's last transaction or after the work. */
import { describe, expect, it } from 'vitest';
import { withLease } from '../../src/core/lease.ts';
import { FixedClock } from '../fakes/fixed-clock.ts';
import { MemoryStore } from '../fakes/memory-store.ts';
import { makeRequest } from '../support/store-fixtures.ts';

async function setup() {
  const store = new MemoryStore();
  const clock = new FixedClock();
  const request = makeRequest({ status: 'ACTIVE' });
  await store.transaction(async (tx) => tx.insertRequest(request));
  let releases = 0;
  const release = store.releaseRequest.bind(store);
  store.releaseRequest = async (id, owner) => {
    releases++;
    return release(id, owner);
  };
  return { store, clock, request, releases: () => releases };
}

describe('withLease', () => {
  it('hands the work the request as claimed, and leaves a second claimant out while the work runs', async () => {
    const h = await setup();
    const outcome = await withLease(h, h.request.id, async (claimed) => {
      expect(claimed).toEqual(h.request);
      return withLease(h, h.request.id, async () => 'second');
    });
    expect(outcome).toEqual({ held: true, value: { held: false } });
  });

  it('is given back by the holder\'s last transaction, with no release of its own afterwards', async () => {
    const h = await setup();
    await withLease(h, h.request.id, (_, lease) => h.store.transaction((tx) => lease.releaseWith(tx)));
    expect(h.releases()).toBe(0);
    expect(h.store.leases.has(h.request.id)).toBe(false);
  });

  it('is released after the work when the work throws, even after a transaction gave it back', async () => {
    const h = await setup();
    const failed = withLease(h, h.request.id, async (_, lease) => {
      await h.store.transaction((tx) => lease.releaseWith(tx));
      throw new Error('provider down');
    });
    await expect(failed).rejects.toThrow('provider down');
    expect(h.releases()).toBe(1);
  });

  it('is released after work that never gave it back', async () => {
    const h = await setup();
    await withLease(h, h.request.id, async () => 'done');
    expect(h.releases()).toBe(1);
    expect(h.store.leases.has(h.request.id)).toBe(false);
  });
});
