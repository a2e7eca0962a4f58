import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashEvent } from '../../src/audit/chain.ts';
import { HASH_MISMATCH, PROGRESS_EVERY, verifyChain } from '../../src/audit/verify-chain.ts';
import type { AuditRecord } from '../../src/core/ports.ts';
import { fromArray, makeChain } from './make-chain.ts';

function at(events: AuditRecord[], index: number): AuditRecord {
  const event = events[index];
  if (event === undefined) throw new Error(`no event at ${index}`);
  return event;
}

describe('verifyChain', () => {
  it('passes an intact chain and reports its head', async () => {
    const events = makeChain(50);
    const result = await verifyChain(fromArray(events));
    expect(result).toEqual({ ok: true, count: 50, headSeq: 50n, headHash: at(events, 49).hash });
  });

  it('verifies an empty chain with the genesis hash as head', async () => {
    expect(await verifyChain(fromArray([]))).toEqual({ ok: true, count: 0, headSeq: null, headHash: GENESIS_HASH });
  });

  it('accepts gaps in seq left by rolled-back appends', async () => {
    const first = {
      seq: 1n,
      at: new Date(0),
      actor: 'a',
      action: 'x',
      requestId: null,
      data: {},
      prevHash: GENESIS_HASH,
    };
    const firstHash = hashEvent(first);
    const third = { ...first, seq: 3n, prevHash: firstHash };
    const events = [
      { ...first, hash: firstHash },
      { ...third, hash: hashEvent(third) },
    ];
    expect(await verifyChain(fromArray(events))).toMatchObject({ ok: true, count: 2, headSeq: 3n });
  });

  it('names the edited event when one event’s data was changed', async () => {
    const events = makeChain(20);
    const edited = at(events, 11);
    events[11] = { ...edited, data: { ...edited.data, durationSec: 86_400 } };
    expect(await verifyChain(fromArray(events))).toEqual({
      ok: false,
      count: 11,
      brokenSeq: 12n,
      reason: HASH_MISMATCH,
    });
  });

  it('names the event after a deleted one', async () => {
    const events = makeChain(20);
    events.splice(7, 1); // seq 8 removed
    expect(await verifyChain(fromArray(events))).toEqual({
      ok: false,
      count: 7,
      brokenSeq: 9n,
      reason: 'prevHash does not link to seq 7: an event was removed or reordered',
    });
  });

  it('names the first event out of place after a reordering', async () => {
    const events = makeChain(20);
    const [fifth, sixth] = [at(events, 4), at(events, 5)];
    events[4] = sixth;
    events[5] = fifth;
    expect(await verifyChain(fromArray(events))).toEqual({
      ok: false,
      count: 4,
      brokenSeq: 6n,
      reason: 'prevHash does not link to seq 4: an event was removed or reordered',
    });
  });

  it('refuses a chain whose first event does not start from genesis', async () => {
    const events = makeChain(5).slice(1);
    expect(await verifyChain(fromArray(events))).toEqual({
      ok: false,
      count: 0,
      brokenSeq: 2n,
      reason: 'prevHash does not link to genesis: an event was removed or reordered',
    });
  });

  it('detects an event rewritten with a recomputed hash at the next link', async () => {
    const events = makeChain(10);
    const rewritten = { ...at(events, 2), actor: 'mallory' };
    events[2] = { ...rewritten, hash: hashEvent(rewritten) };
    expect(await verifyChain(fromArray(events))).toMatchObject({ ok: false, count: 3, brokenSeq: 4n });
  });

  it('reports progress every PROGRESS_EVERY events', async () => {
    const calls: Array<[number, bigint]> = [];
    await verifyChain(fromArray(makeChain(PROGRESS_EVERY * 2 + 5)), (count, seq) => calls.push([count, seq]));
    expect(calls).toEqual([
      [PROGRESS_EVERY, BigInt(PROGRESS_EVERY)],
      [PROGRESS_EVERY * 2, BigInt(PROGRESS_EVERY * 2)],
    ]);
  });
});
