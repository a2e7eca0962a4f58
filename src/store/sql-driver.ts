/**
 * A tiny SQL seam for what Prisma cannot do: the migrator, session-level advisory locks (leader election) and
 * the fast audit reader. A driver over a `pg.Client` or a PGlite instance is ONE database session: session
 * advisory locks taken through it stay held until `close()`, and a `transaction` on it owns the session.
 *
 * Values come back as each driver parses them (pg: int8 → string; PGlite: int8 → number): cast in SQL
 * (`::int`, `::text`) when the type matters.
 */
import type { PGlite, Transaction as PgliteTransaction } from '@electric-sql/pglite';
import type pg from 'pg';

export interface SqlQueryable {
  /** One statement with `$1…` parameters; returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** A script of one or more statements, no parameters. */
  exec(sql: string): Promise<void>;
}

export interface SqlDriver extends SqlQueryable {
  /** BEGIN … COMMIT around `work`; ROLLBACK and rethrow when it throws. */
  transaction<T>(work: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function pgQueryable(client: pg.Client | pg.PoolClient | pg.Pool): SqlQueryable {
  return {
    async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      const result = await client.query(sql, params);
      return result.rows as T[];
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  };
}

async function inPgTransaction<T>(client: pg.Client | pg.PoolClient, work: (tx: SqlQueryable) => Promise<T>) {
  await client.query('BEGIN');
  try {
    const result = await work(pgQueryable(client));
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Over one dedicated, connected `pg.Client` (one session); `close()` ends it. */
export function pgClientDriver(client: pg.Client): SqlDriver {
  let ended: Promise<void> | undefined;
  return {
    ...pgQueryable(client),
    transaction: (work) => inPgTransaction(client, work),
    close(): Promise<void> {
      ended ??= client.end();
      return ended;
    },
  };
}

/**
 * Over a `pg.Pool`: each call may run on another connection, so no session state survives between calls
 * (use `pgClientDriver` for session advisory locks). `close()` leaves the pool to its owner.
 */
export function pgPoolDriver(pool: pg.Pool): SqlDriver {
  return {
    ...pgQueryable(pool),
    async transaction(work) {
      const client = await pool.connect();
      try {
        return await inPgTransaction(client, work);
      } finally {
        client.release();
      }
    },
    async close(): Promise<void> {},
  };
}

function pgliteQueryable(db: PGlite | PgliteTransaction): SqlQueryable {
  return {
    async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      return (await db.query<T>(sql, params)).rows;
    },
    async exec(sql: string): Promise<void> {
      await db.exec(sql);
    },
  };
}

/**
 * Over a PGlite instance (one in-process session). PGlite queues other callers behind an open transaction.
 * `closeDatabase: false` when the instance belongs to someone else (the store closes its own).
 */
export function pgliteDriver(db: PGlite, options: { closeDatabase?: boolean } = {}): SqlDriver {
  return {
    ...pgliteQueryable(db),
    transaction: (work) => db.transaction((tx) => work(pgliteQueryable(tx))),
    async close(): Promise<void> {
      if (options.closeDatabase !== false && !db.closed) await db.close();
    },
  };
}
