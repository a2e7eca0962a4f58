/**
 * Appending to and reading the audit hash chain (DESIGN.md section 8).
 *
 * Append (inside the caller's transaction, called last): take the chain's transaction-scoped advisory lock,
 * read the head hash, take `seq` from the sequence, hash, insert. The lock is held until commit or rollback,
 * so appends are serialised in commit order and the next appender always sees the previous head. A rolled-back
 * transaction consumes its sequence value: `seq` is increasing but may have gaps; the chain links by order
 * (prevHash), not by seq + 1.
 */
import type { AuditInput, AuditRecord } from '../core/ports.ts';
import { GENESIS_HASH, hashEvent } from '../audit/chain.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type { SqlQueryable } from './sql-driver.ts';

/** `pg_advisory_xact_lock` key serialising audit appends ("STINT" in ASCII). */
export const AUDIT_CHAIN_LOCK_KEY = 357896375892n;

/** Appends one event inside `tx`; must be the transaction's last lock (invariant 4, DESIGN.md section 3). */
export async function appendAuditIn(tx: Prisma.TransactionClient, event: AuditInput): Promise<AuditRecord> {
  // $executeRaw: the lock function returns `void`, a type the PGlite adapter refuses in a result set.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK_KEY})`;
  const [next] = await tx.$queryRaw<Array<{ head: string | null; seq: string }>>`
    SELECT (SELECT "hash" FROM "AuditEvent" ORDER BY "seq" DESC LIMIT 1) AS "head",
           nextval(pg_get_serial_sequence('"AuditEvent"', 'seq'))::text AS "seq"`;
  if (!next) throw new Error('audit: the sequence returned no row');
  const unhashed = {
    seq: BigInt(next.seq),
    // The chain hashes epoch milliseconds and the column keeps milliseconds; a JS Date holds whole
    // milliseconds already, so the copy is exact and what a re-read returns.
    at: new Date(Math.trunc(event.at.getTime())),
    actor: event.actor,
    action: event.action,
    requestId: event.requestId ?? null,
    // Hash exactly what JSON storage gives back (drops undefined, applies toJSON), so a re-read verifies.
    data: JSON.parse(JSON.stringify(event.data ?? {})) as Record<string, unknown>,
    prevHash: next.head ?? GENESIS_HASH,
  };
  const record: AuditRecord = { ...unhashed, hash: hashEvent(unhashed) };
  await tx.$executeRaw`
    INSERT INTO "AuditEvent" ("seq", "at", "actor", "action", "requestId", "data", "prevHash", "hash")
    VALUES (${record.seq}, ${record.at.toISOString()}::timestamptz, ${record.actor}, ${record.action},
            ${record.requestId}, ${JSON.stringify(record.data)}::jsonb, ${record.prevHash}, ${record.hash})`;
  return record;
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
