/**
 * `stint audit verify` throughput (DESIGN.md section 12, key "audit"): seeds a fresh PostgreSQL database with
 * 1,000,000 correctly chained events, then times `verifyChain(store.streamAudit(0n, 10000))` end to end.
 * Baseline: the same verification over events already in memory (no database, no parsing), so
 * `ratioToInMemory` says what reading from PostgreSQL costs. The baseline walks a 100,000-event chain ten
 * times rather than holding a million events: the database stream keeps one page alive, and a huge live heap
 * would charge the baseline garbage-collection work the streamed run does not do.
 *
 * Seeding bypasses `appendAudit` (one transaction and advisory lock per event): hashes are computed here and
 * rows go in 10,000 at a time as one JSON parameter on a plain `pg` connection, each batch inserted while the
 * next is hashed.
 */
import pg from 'pg';
import { GENESIS_HASH, hashEvent } from '../src/audit/chain.ts';
import { verifyChain, type VerifyResult } from '../src/audit/verify-chain.ts';
import type { AuditRecord } from '../src/core/ports.ts';
import { openStore, type Store } from '../src/store/open-store.ts';
import { fromArray, makeChain, sampleEvent } from '../test/audit/make-chain.ts';
import { createTestDatabase } from '../test/support/test-database.ts';

export const name = 'audit';

/** `BENCH_AUDIT_EVENTS` shrinks the run while working on this file. */
const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
const INSERT_BATCH = 10_000;
const STREAM_BATCH = 10_000;
const IN_MEMORY_CHAIN = Math.min(100_000, EVENTS);

// One JSON array parameter per batch, unpacked server-side: faster here than `unnest` over eight text arrays
// (whose array literals pg must escape element by element).
const INSERT_SQL = `
  INSERT INTO "AuditEvent" ("seq", "at", "actor", "action", "requestId", "data", "prevHash", "hash")
  SELECT (r->>0)::int8, (r->>1)::timestamptz, r->>2, r->>3, r->>4, r->5, r->>6, r->>7
    FROM jsonb_array_elements($1::jsonb) AS r`;

function insertBatch(client: pg.Client, events: AuditRecord[]): Promise<unknown> {
  const rows = events.map((event) => [
    event.seq.toString(),
    event.at.toISOString(),
    event.actor,
    event.action,
    event.requestId,
    event.data,
    event.prevHash,
    event.hash,
  ]);
  return client.query(INSERT_SQL, [JSON.stringify(rows)]);
}

/** Builds the chain in JS and inserts each batch while the next one is hashed. */
async function seed(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    let prevHash = GENESIS_HASH;
    let inFlight: Promise<unknown> = Promise.resolve();
    for (let start = 1; start <= EVENTS; start += INSERT_BATCH) {
      const batch: AuditRecord[] = [];
      for (let n = start; n < start + INSERT_BATCH && n <= EVENTS; n++) {
        const unhashed = { ...sampleEvent(BigInt(n)), prevHash };
        prevHash = hashEvent(unhashed);
        batch.push({ ...unhashed, hash: prevHash });
      }
      await inFlight;
      inFlight = insertBatch(client, batch);
    }
    await inFlight;
    // Keep the sequence ahead of the seeded rows, as appendAudit would have left it.
    await client.query(`SELECT setval(pg_get_serial_sequence('"AuditEvent"', 'seq'), $1::int8)`, [String(EVENTS)]);
    await client.query('ANALYZE "AuditEvent"');
  } finally {
    await client.end();
  }
}

function assertVerified(result: VerifyResult, count: number): void {
  if (!result.ok || result.count !== count) {
    const text = JSON.stringify(result, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
    throw new Error(`bench chain did not verify: ${text}`);
  }
}

/** Events per second verifying the chain in memory, walked until EVENTS events were verified. */
async function verifyInMemory(): Promise<number> {
  const chain = makeChain(IN_MEMORY_CHAIN);
  const warmUp = chain.slice(0, 20_000);
  assertVerified(await verifyChain(fromArray(warmUp)), warmUp.length); // JIT warm-up
  const started = performance.now();
  let verified = 0;
  while (verified < EVENTS) {
    const result = await verifyChain(fromArray(chain));
    assertVerified(result, chain.length);
    verified += result.count;
  }
  return Math.round(verified / ((performance.now() - started) / 1000));
}

async function verifyStored(store: Store): Promise<number> {
  const started = performance.now();
  const result = await verifyChain(store.streamAudit(0n, STREAM_BATCH));
  const seconds = (performance.now() - started) / 1000;
  assertVerified(result, EVENTS);
  return Math.round(EVENTS / seconds);
}

export async function run(): Promise<Record<string, number>> {
  const verifyInMemoryEventsPerSec = await verifyInMemory();
  const database = await createTestDatabase();
  try {
    const store = await openStore({ databaseUrl: database.url, migrate: true });
    try {
      const seedStarted = performance.now();
      await seed(database.url);
      const seedEventsPerSec = Math.round(EVENTS / ((performance.now() - seedStarted) / 1000));
      const verifyEventsPerSec = await verifyStored(store);
      return {
        events: EVENTS,
        verifyEventsPerSec,
        verifyInMemoryEventsPerSec,
        ratioToInMemory: Number((verifyEventsPerSec / verifyInMemoryEventsPerSec).toFixed(3)),
        seedEventsPerSec,
      };
    } finally {
      await store.close();
    }
  } finally {
    await database.drop();
  }
}
