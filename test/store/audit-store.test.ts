import { beforeEach, describe, expect, it } from 'vitest';
import { GENESIS_HASH, canonicalEventParts, hashEvent } from '../../src/audit/chain.ts';
import type { AuditRecord } from '../../src/core/ports.ts';
import { readAuditPage } from '../../src/store/audit-store.ts';
import type { Store } from '../../src/store/open-store.ts';
import { at, makeAudit, makeRequest } from '../support/store-fixtures.ts';
import { TEST_STORE_KINDS, useTestStore } from '../support/test-database.ts';

async function readAll(store: Store): Promise<AuditRecord[]> {
  const events: AuditRecord[] = [];
  for await (const event of store.streamAudit(0n, 7)) events.push(event);
  return events;
}

/** The first place where the chain does not link or a hash does not recompute, or null. */
function firstBreak(events: AuditRecord[]): string | null {
  let prevHash = GENESIS_HASH;
  let prevSeq = 0n;
  for (const event of events) {
    if (event.prevHash !== prevHash) return `seq ${event.seq}: prevHash does not link`;
    if (event.seq <= prevSeq) return `seq ${event.seq}: not increasing`;
    if (hashEvent(event) !== event.hash) return `seq ${event.seq}: hash does not recompute`;
    prevHash = event.hash;
    prevSeq = event.seq;
  }
  return null;
}

describe.each(TEST_STORE_KINDS)('audit store on %s', (kind) => {
  const store = useTestStore(kind);

  // Each test looks at the whole chain: start from an empty log, seq from 1 (so seqs cross 9 → 10).
  beforeEach(async () => {
    await store().driver.exec('TRUNCATE "AuditEvent" RESTART IDENTITY');
    await store().driver.exec(`UPDATE "AuditHead" SET "seq" = 0, "hash" = repeat('0', 64)`);
  });

  it('starts the chain at the genesis hash', async () => {
    const first = await store().appendAudit(makeAudit());
    expect(first.prevHash).toBe(GENESIS_HASH);
  });

  it('links each event to the one before: prevHash of n+1 is the hash of n', async () => {
    const appended = [];
    for (let i = 0; i < 5; i++) appended.push(await store().appendAudit(makeAudit({ data: { i } })));
    for (let i = 1; i < appended.length; i++) expect(appended[i]!.prevHash).toBe(appended[i - 1]!.hash);
  });

  it('stores events whose hash recomputes with hashEvent from the stored fields', async () => {
    await store().appendAudit(makeAudit({ data: { nested: { b: 2, a: [1, 'x', null] }, unicode: 'é😀' } }));
    await store().appendAudit(makeAudit({ requestId: 'jit_01', action: 'request.approved' }));
    const events = await readAll(store());
    expect(events).toHaveLength(2);
    expect(firstBreak(events)).toBeNull();
  });

  it('returns from appendAudit exactly the record it stored', async () => {
    const appended = await store().appendAudit(makeAudit({ requestId: 'jit_02', data: { k: 'v' } }));
    expect(await store().readAudit(appended.seq - 1n, 1)).toEqual([appended]);
  });

  it('keeps the event time to the millisecond', async () => {
    const when = at('2026-11-23T10:00:00.007Z');
    await store().appendAudit(makeAudit({ at: when }));
    const [event] = await readAll(store());
    expect(event?.at.getTime()).toBe(when.getTime());
  });

  it('hashes the data as stored: undefined members dropped, dates as ISO strings', async () => {
    const appended = await store().appendAudit(
      makeAudit({ data: { kept: 1, dropped: undefined, when: at('2026-01-01T00:00:00.000Z') } }),
    );
    expect(appended.data).toEqual({ kept: 1, when: '2026-01-01T00:00:00.000Z' });
    expect(firstBreak(await readAll(store()))).toBeNull();
  });

  it('writes the audit event in the same transaction as the state change', async () => {
    const request = makeRequest();
    await store().transaction(async (tx) => {
      await tx.insertRequest(request);
      await tx.appendAudit(makeAudit({ action: 'request.created', requestId: request.id }));
    });
    const events = await readAll(store());
    expect(events.map((e) => [e.action, e.requestId])).toEqual([['request.created', request.id]]);
  });

  it('writes the events of a transaction in call order, chained, after its other work', async () => {
    const request = makeRequest();
    await store().transaction(async (tx) => {
      tx.appendAudit(makeAudit({ action: 'first', requestId: request.id }));
      tx.appendAudit(makeAudit({ action: 'second', requestId: request.id }));
      // Queued events do not stop later statements of the same transaction.
      await tx.insertRequest(request);
      expect(await tx.transition(request.id, 'PENDING', 'APPROVED')).toBe(true);
    });
    const events = await readAll(store());
    expect(events.map((e) => e.action)).toEqual(['first', 'second']);
    expect(events[1]!.prevHash).toBe(events[0]!.hash);
    expect(events[1]!.seq).toBeGreaterThan(events[0]!.seq);
    expect(firstBreak(events)).toBeNull();
  });

  it('leaves no audit event behind when the transaction rolls back', async () => {
    await store().appendAudit(makeAudit({ action: 'before' }));
    await expect(
      store().transaction(async (tx) => {
        await tx.appendAudit(makeAudit({ action: 'rolled-back' }));
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await store().appendAudit(makeAudit({ action: 'after' }));
    const events = await readAll(store());
    expect(events.map((e) => e.action)).toEqual(['before', 'after']);
    expect(firstBreak(events)).toBeNull();
  });

  it('keeps one unbroken chain when 50 transactions append concurrently', async () => {
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store().transaction(async (tx) => {
          const request = makeRequest();
          await tx.insertRequest(request);
          return tx.appendAudit(makeAudit({ action: 'request.created', requestId: request.id, data: { i } }));
        }),
      ),
    );
    const events = await readAll(store());
    expect(events).toHaveLength(50);
    expect(new Set(events.map((e) => e.data.i)).size).toBe(50);
    expect(firstBreak(events)).toBeNull();
  });

  it('chains a transaction\'s events at its commit, also when their data mimics where the trigger cuts them', async () => {
    await store().transaction(async (tx) => {
      tx.appendAudit(makeAudit({ action: 'staged', data: { prevHash: 'P'.repeat(64), text: 'é😀"\\', seq: 0 } }));
    });
    const events = await readAll(store());
    expect(events.map((e) => [Number(e.seq), e.action])).toEqual([[1, 'staged']]);
    expect(firstBreak(events)).toBeNull();
  });

  it('keeps one chain when commit-time events and directly appended ones interleave', async () => {
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        i % 3 === 0
          ? store().appendAudit(makeAudit({ action: 'direct', data: { i } }))
          : store().transaction(async (tx) => {
              tx.appendAudit(makeAudit({ action: 'staged-a', data: { i } }));
              tx.appendAudit(makeAudit({ action: 'staged-b', data: { i } }));
            }),
      ),
    );
    const events = await readAll(store());
    expect(events).toHaveLength(10 + 40);
    expect(events.map((e) => Number(e.seq))).toEqual(events.map((_, i) => i + 1));
    expect(firstBreak(events)).toBeNull();
    // a transaction's own events stay adjacent and in call order
    for (const [i, event] of events.entries()) if (event.action === 'staged-a') expect(events[i + 1]).toMatchObject({ action: 'staged-b', data: event.data });
  });

  // PGlite has one connection: its transactions never overlap.
  it.skipIf(kind === 'pglite')('locks nothing for a pending event until its transaction commits, and chains it then', async () => {
    const writer = await store().openSession();
    const other = await store().openSession();
    try {
      const event = { at: at('2026-11-23T10:00:00.123Z'), actor: 'alice', action: 'pending', requestId: null, data: { n: 1 } };
      const { head, tail } = canonicalEventParts(event);
      await writer.transaction(async (tx) => {
        // The row stageAuditEvents writes: placeholder seq, the canonical JSON cut around prevHash and seq.
        await tx.query(
          `INSERT INTO "AuditEvent" ("seq", "at", "actor", "action", "requestId", "data", "prevHash", "hash", "canonHead", "canonTail")
           VALUES (-nextval('"AuditEvent_pending_seq"'), $1::timestamptz, 'alice', 'pending', NULL, '{"n":1}'::jsonb, '', '', $2, $3)`,
          [event.at.toISOString(), head, tail],
        );
        // Another session can take the chain head's lock at once: the open transaction holds nothing on it.
        expect(await other.query(`SELECT "seq"::text AS "seq" FROM "AuditHead" WHERE "id" = 1 FOR UPDATE NOWAIT`)).toEqual([{ seq: '0' }]);
        expect(await other.query(`SELECT 1 FROM "AuditEvent"`)).toEqual([]);
      });
    } finally {
      await writer.close();
      await other.close();
    }
    const events = await readAll(store());
    expect(events.map((e) => [Number(e.seq), e.action, e.data])).toEqual([[1, 'pending', { n: 1 }]]);
    expect(firstBreak(events)).toBeNull();
  });

  it('readAudit pages by seq (keyset): events after afterSeq, at most limit', async () => {
    const appended = [];
    for (let i = 0; i < 5; i++) appended.push(await store().appendAudit(makeAudit({ data: { i } })));
    const page = await store().readAudit(appended[1]!.seq, 2);
    expect(page).toEqual([appended[2], appended[3]]);
    expect(await store().readAudit(appended[4]!.seq, 10)).toEqual([]);
  });

  it('streamAudit yields every event after afterSeq in seq order across batches', async () => {
    const appended = [];
    for (let i = 0; i < 12; i++) appended.push(await store().appendAudit(makeAudit({ data: { i } })));
    const streamed: AuditRecord[] = [];
    for await (const event of store().streamAudit(appended[2]!.seq, 4)) streamed.push(event);
    expect(streamed).toEqual(appended.slice(3));
  });

  it('orders events numerically by seq, also across digit boundaries (9 → 10 → 11)', async () => {
    for (let i = 0; i < 12; i++) await store().appendAudit(makeAudit({ data: { i } }));
    const page = await store().readAudit(0n, 100);
    expect(page.map((e) => Number(e.seq))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect((await readAll(store())).map((e) => Number(e.seq))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('reads the same records whether a page comes as rows or as one JSON document', async () => {
    await store().appendAudit(
      makeAudit({
        requestId: null,
        data: { quote: 'a"b\\c\n', unicode: 'é😀\u2028', big: 1e21, small: 0.1, negative: -0, list: [1, [2, { x: null }]] },
      }),
    );
    await store().appendAudit(makeAudit({ requestId: 'jit_03', actor: 'ünïcödé', data: {} }));
    const sql = store().driver;
    const rows = await readAuditPage({ sql, shape: 'rows' }, 0n, 10);
    const json = await readAuditPage({ sql, shape: 'json' }, 0n, 10);
    expect(rows).toHaveLength(2);
    expect(json).toEqual(rows);
    expect(firstBreak(json)).toBeNull();
  });

  it('streamAudit can be stopped early', async () => {
    for (let i = 0; i < 10; i++) await store().appendAudit(makeAudit({ data: { i } }));
    const seen = [];
    for await (const event of store().streamAudit(0n, 3)) {
      seen.push(event);
      if (seen.length === 4) break;
    }
    expect(seen).toHaveLength(4);
  });
});
