/**
 * Appending to and reading the audit hash chain (DESIGN.md section 8).
 *
 * Two ways in, one chain. `stageAuditEvents` (request transitions, the hot path): insert the events as pending rows
 * without any lock; a deferred trigger chains them inside COMMIT (migration 20261202125000_audit_chain_at_commit),
 * so the head row is locked only for that and the WAL flush. `appendAuditEvents` (rare events whose caller wants
 * the stored record back): lock the one-row "AuditHead", hash in Node, insert, move the head. Both serialise on the
 * head row's lock, held until commit or rollback, so the chain follows commit order and each appender sees the
 * previous head. A rollback takes its seq reservation back too: seq has no gaps (the verifier links by prevHash).
 */
import type { AuditInput, AuditRecord } from '../core/ports.ts';
import { canonicalEventParts, hashEvent } from '../audit/chain.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { SqlQueryable } from './sql-driver.ts';

/**
 * Appends `events`, in order, inside `tx`; must be the transaction's last lock (invariant 4, DESIGN.md section 3).
 * Two statements whatever the count, and COMMIT: the head row's lock is held until then, so the fewer round trips
 * under it, the more transactions per second the chain takes.
 */
export async function appendAuditEvents(tx: Prisma.TransactionClient, events: AuditInput[]): Promise<AuditRecord[]> {
  if (events.length === 0) return [];
  // UPDATE … RETURNING waits for the row lock and then sees the latest committed head (READ COMMITTED re-reads
  // a row it waited for): the lock, the head and the reserved seq range in one statement.
  const [head] = await tx.$queryRaw<Array<{ seq: string; hash: string }>>`
    UPDATE "AuditHead" SET "seq" = "seq" + ${events.length}::int WHERE "id" = 1 RETURNING "seq"::text AS "seq", "hash"`;
  if (!head) throw new Error('audit: the chain head row is missing (migration 20261123190000_audit_head)');
  const firstSeq = BigInt(head.seq) - BigInt(events.length) + 1n;
  let prevHash = head.hash;
  const records = events.map((event, i): AuditRecord => {
    const unhashed = {
      seq: firstSeq + BigInt(i),
      // The chain hashes epoch milliseconds and the column keeps milliseconds; a JS Date holds whole
      // milliseconds already, so the copy is exact and what a re-read returns.
      at: new Date(Math.trunc(event.at.getTime())),
      actor: event.actor,
      action: event.action,
      requestId: event.requestId ?? null,
      // Hash exactly what JSON storage gives back (drops undefined, applies toJSON), so a re-read verifies.
      data: JSON.parse(JSON.stringify(event.data ?? {})) as Record<string, unknown>,
      prevHash,
    };
    const record = { ...unhashed, hash: hashEvent(unhashed) };
    prevHash = record.hash;
    return record;
  });
  const values = records.map(
    (r) => Prisma.sql`(${r.seq}, ${r.at.toISOString()}::timestamptz, ${r.actor}, ${r.action}, ${r.requestId},
                       ${JSON.stringify(r.data)}::jsonb, ${r.prevHash}, ${r.hash})`,
  );
  await tx.$executeRaw`
    WITH "inserted" AS (
      INSERT INTO "AuditEvent" ("seq", "at", "actor", "action", "requestId", "data", "prevHash", "hash")
      VALUES ${Prisma.join(values)})
    UPDATE "AuditHead" SET "hash" = ${prevHash} WHERE "id" = 1`;
  return records;
}

/**
 * Queues `events`, in order, as pending rows of `tx`; they get their seq and hash when `tx` commits. One statement,
 * no lock: this is what keeps the chain from serialising whole transactions.
 */
export async function stageAuditEvents(tx: Prisma.TransactionClient, events: AuditInput[]): Promise<void> {
  if (events.length === 0) return;
  const values = events.map((event) => {
    const fields = {
      at: new Date(Math.trunc(event.at.getTime())),
      actor: event.actor,
      action: event.action,
      requestId: event.requestId ?? null,
      data: JSON.parse(JSON.stringify(event.data ?? {})) as Record<string, unknown>,
    };
    const { head, tail } = canonicalEventParts(fields);
    // -nextval in VALUES order: the trigger chains by placeholder, so the events keep the order they were given.
    return Prisma.sql`(-nextval('"AuditEvent_pending_seq"'), ${fields.at.toISOString()}::timestamptz, ${fields.actor}, ${fields.action},
                       ${fields.requestId}, ${JSON.stringify(fields.data)}::jsonb, '', '', ${head}, ${tail})`;
  });
  await tx.$executeRaw`
    INSERT INTO "AuditEvent" ("seq", "at", "actor", "action", "requestId", "data", "prevHash", "hash", "canonHead", "canonTail")
    VALUES ${Prisma.join(values)}`;
}

/** One event; see appendAuditEvents. */
export async function appendAuditIn(tx: Prisma.TransactionClient, event: AuditInput): Promise<AuditRecord> {
  return (await appendAuditEvents(tx, [event]))[0]!;
}

/**
 * Where and how the reader fetches pages. `rows`: one result row per event, every column as text (fastest through
 * node-postgres: ~1.5× Prisma's $queryRaw). `json`: the whole page as one JSON text built by the database (on
 * PGlite, whose per-row cost is in JavaScript, this is ~2.5× faster than rows; on PostgreSQL it is slower).
 */
export interface AuditSource {
  sql: SqlQueryable;
  shape: 'rows' | 'json';
}

// Time as epoch ms via date_part (double): a third of extract()'s numeric cost per row on the server, and still
// exact to the millisecond (microsecond resolution near 2e9 s is ~1e-7 s). No driver-specific type parsing, no
// time-zone dependence. Aliases differ from column names on purpose: ORDER BY "seq" would sort a text alias.
const AT_MS = `round(date_part('epoch', e."at") * 1000)::int8`;

const READ_ROWS_SQL = `
  SELECT e."seq"::text AS "seq_text", ${AT_MS}::text AS "at_ms", e."actor", e."action", e."requestId",
         e."data"::text AS "data_text", e."prevHash", e."hash"
    FROM "AuditEvent" e WHERE e."seq" > $1::int8 ORDER BY e."seq" LIMIT $2::int`;

const READ_JSON_PAGE_SQL = `
  SELECT json_agg(json_build_array(e."seq"::text, ${AT_MS}, e."actor", e."action", e."requestId", e."data",
                                   e."prevHash", e."hash") ORDER BY e."seq")::text AS "page"
    FROM (SELECT * FROM "AuditEvent" WHERE "seq" > $1::int8 ORDER BY "seq" LIMIT $2::int) e`;

interface AuditTextRow {
  seq_text: string;
  at_ms: string;
  actor: string;
  action: string;
  requestId: string | null;
  data_text: string;
  prevHash: string;
  hash: string;
}

type AuditJsonRow = [string, number, string, string, string | null, Record<string, unknown>, string, string];

function fromTextRow(row: AuditTextRow): AuditRecord {
  return {
    seq: BigInt(row.seq_text),
    at: new Date(Number(row.at_ms)),
    actor: row.actor,
    action: row.action,
    requestId: row.requestId,
    data: JSON.parse(row.data_text) as Record<string, unknown>,
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

function fromJsonRow(row: AuditJsonRow): AuditRecord {
  return {
    seq: BigInt(row[0]),
    at: new Date(row[1]),
    actor: row[2],
    action: row[3],
    requestId: row[4],
    data: row[5],
    prevHash: row[6],
    hash: row[7],
  };
}

/** Events with seq > afterSeq in seq order (keyset pagination on the primary key). */
export async function readAuditPage(source: AuditSource, afterSeq: bigint, limit: number): Promise<AuditRecord[]> {
  const params = [afterSeq.toString(), Math.max(0, Math.floor(limit))];
  if (source.shape === 'rows') return (await source.sql.query<AuditTextRow>(READ_ROWS_SQL, params)).map(fromTextRow);
  const [row] = await source.sql.query<{ page: string | null }>(READ_JSON_PAGE_SQL, params);
  return row?.page ? (JSON.parse(row.page) as AuditJsonRow[]).map(fromJsonRow) : [];
}

/**
 * Every event after `afterSeq`, fetched `batch` at a time; the next batch is already being read while this one
 * is consumed. A hand-written iterator, not an async generator: per event it costs one resolved promise instead
 * of a generator resumption (~4× less overhead at a million events).
 */
export function streamAuditPages(source: AuditSource, afterSeq: bigint, batch = 10_000): AsyncIterable<AuditRecord> {
  const size = Math.max(1, Math.floor(batch));
  return {
    [Symbol.asyncIterator](): AsyncIterator<AuditRecord> {
      let page: AuditRecord[] = [];
      let index = 0;
      let pending: Promise<AuditRecord[]> | undefined = prefetch(afterSeq);

      function prefetch(after: bigint): Promise<AuditRecord[]> {
        const read = readAuditPage(source, after, size);
        // A consumer that stops early must not leave this read's rejection unhandled.
        read.catch(() => undefined);
        return read;
      }

      async function refill(): Promise<IteratorResult<AuditRecord>> {
        while (pending) {
          page = await pending;
          index = 0;
          pending = page.length === size ? prefetch(page[page.length - 1]!.seq) : undefined;
          if (page.length > 0) return { done: false, value: page[index++]! };
        }
        return { done: true, value: undefined };
      }

      return {
        next(): Promise<IteratorResult<AuditRecord>> {
          if (index < page.length) return Promise.resolve({ done: false, value: page[index++]! });
          return refill();
        },
        return(): Promise<IteratorResult<AuditRecord>> {
          pending = undefined;
          page = [];
          return Promise.resolve({ done: true, value: undefined });
        },
      };
    },
  };
}
