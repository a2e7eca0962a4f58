/**
 * Opens the system of record (DESIGN.md section 3): PostgreSQL through `@prisma/adapter-pg` when a database URL
 * is given, otherwise embedded PGlite in a data folder. Migrations run first unless told not to. Past this file
 * both are the same `PrismaStore`.
 */
import { mkdir } from 'node:fs/promises';
import type { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import type { AuditReader, AuditRecord, ChatMessageStore, JitCredentialStore, PersonStore, RequestStore, ServiceAccountStore, DevicePostureStore, MfaStore, SessionRecordingStore, TeamsDirectoryStore, TokenStore } from '../core/ports.ts';
import { PrismaClient } from '../generated/prisma/client.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { DEFAULT_MIGRATIONS_DIR, migrate } from './migrate.ts';
import { PrismaStore } from './prisma-store.ts';
import { pgClientDriver, pgliteDriver, pgPoolDriver, type SqlDriver } from './sql-driver.ts';
import { DEFAULT_TRANSACTION_LIMITS, type TransactionLimits } from './transaction.ts';

export interface Store extends RequestStore, PersonStore, TokenStore, AuditReader, ChatMessageStore, TeamsDirectoryStore, JitCredentialStore, ServiceAccountStore, DevicePostureStore, SessionRecordingStore, MfaStore {
  readonly kind: 'postgres' | 'pglite';
  /** Resolves when the database answers a query through Prisma (readiness probes). */
  ping(): Promise<void>;
  /** How many requests are in each status (metrics). */
  countRequestsByStatus(): Promise<Record<string, number>>;
  /** Disconnects Prisma, then ends the pool / session / PGlite instance. Idempotent. */
  close(): Promise<void>;
  /**
   * One dedicated database session (migrator, session-level advisory locks). On PGlite it shares the one
   * in-process session, and `driver.close()` leaves the database open: `store.close()` closes it.
   */
  driver: SqlDriver;
  /**
   * A new dedicated session (PostgreSQL: a new `pg.Client`, closed by its `close()`; PGlite: the one in-process
   * session). For a leader lock that must notice when its session dies and start over on a fresh one.
   */
  openSession(): Promise<SqlDriver>;
  /** Every audit event after `afterSeq` in seq order, read `batch` at a time (exports, `audit verify`). */
  streamAudit(afterSeq?: bigint, batch?: number): AsyncIterable<AuditRecord>;
}

export interface OpenStoreOptions {
  /** PostgreSQL connection string; when set, PGlite is not used. */
  databaseUrl?: string;
  /** PGlite data folder (created if missing); `memory://` for an in-memory database. @defaultValue `.stint` */
  dataDir?: string;
  /** An open PGlite instance to use instead of `dataDir` (tests load one from a template); the store closes it. */
  pglite?: PGlite;
  /** Apply pending migrations before returning. @defaultValue true */
  migrate?: boolean;
  /** @defaultValue `<repo>/prisma/migrations` */
  migrationsDir?: string;
  /** Interactive transaction limits. @defaultValue `{ maxWait: 5000, timeout: 15000 }` */
  transaction?: Partial<TransactionLimits>;
  /** PostgreSQL pool size shared by Prisma and the audit reader. @defaultValue 10 */
  poolSize?: number;
  /** Errors of idle pooled connections and of the dedicated session (e.g. the server restarted). */
  onConnectionError?: (error: Error) => void;
}

// Prisma's pg adapter sends and reads timestamptz as UTC wall-clock text: a session in another TimeZone
// would shift every stored instant (SQL `now()` comparisons would be off by hours). Pin every session.
const UTC_SESSION = '-c TimeZone=UTC';

export async function openStore(options: OpenStoreOptions = {}): Promise<Store> {
  const limits = { ...DEFAULT_TRANSACTION_LIMITS, ...options.transaction };
  const store = options.databaseUrl
    ? await openPostgres(options.databaseUrl, options, limits)
    : options.pglite
      ? await openPglite(options.pglite, limits)
      : await openPgliteDir(options.dataDir ?? '.stint', limits);
  if (options.migrate !== false) {
    try {
      await migrate(store.driver, options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
    } catch (error) {
      await store.close().catch(() => undefined);
      throw error;
    }
  }
  return store;
}

async function openPostgres(url: string, options: OpenStoreOptions, limits: TransactionLimits): Promise<Store> {
  const onError = options.onConnectionError ?? (() => undefined);
  const pool = new pg.Pool({ connectionString: url, options: UTC_SESSION, max: options.poolSize ?? 10 });
  pool.on('error', onError);
  // The pool listens to its idle clients only; a checked-out client whose connection PostgreSQL terminates emits
  // 'error' on itself, and an 'error' nobody listens to kills the process. Defence in depth (Prisma's adapter may
  // listen too): a worker died once of an unhandled 57P01 in the postgres-connection-drop fault test, origin not found.
  pool.on('connect', (client) => client.on('error', onError));
  const openSession = async (): Promise<SqlDriver> => {
    const session = new pg.Client({ connectionString: url, options: UTC_SESSION });
    session.on('error', onError);
    await session.connect();
    return pgClientDriver(session);
  };
  const driver = await openSession().catch(async (error: unknown) => {
    await pool.end();
    throw error;
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { onPoolError: onError }) });
  return new PrismaStore({
    kind: 'postgres',
    prisma,
    driver,
    openSession,
    reader: { sql: pgPoolDriver(pool), shape: 'rows' },
    limits,
    release: async () => {
      await driver.close().catch(() => undefined);
      await pool.end();
    },
  });
}

/** A data folder (or `memory://`), held by this process alone for as long as the store is open. */
async function openPgliteDir(dataDir: string, limits: TransactionLimits): Promise<Store> {
  const inMemory = dataDir.startsWith('memory://');
  if (!inMemory) await mkdir(dataDir, { recursive: true });
  const unlock = inMemory ? () => undefined : lockDataDir(dataDir);
  try {
    // Loaded only here: PGlite's WASM costs ~50 MB of RSS that a PostgreSQL deployment should not carry.
    const { PGlite } = await import('@electric-sql/pglite');
    return await openPglite(await PGlite.create(inMemory ? undefined : dataDir), limits, unlock);
  } catch (error) {
    unlock();
    throw error;
  }
}

async function openPglite(db: PGlite, limits: TransactionLimits, unlock: () => void = () => undefined): Promise<Store> {
  await db.exec("SET TIME ZONE 'UTC'");
  const { PrismaPGlite } = await import('pglite-prisma-adapter');
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });
  const driver = pgliteDriver(db, { closeDatabase: false });
  return new PrismaStore({
    kind: 'pglite',
    prisma,
    driver,
    openSession: async () => pgliteDriver(db, { closeDatabase: false }),
    reader: { sql: driver, shape: 'json' },
    limits,
    release: async () => {
      if (!db.closed) await db.close();
      unlock();
    },
  });
}
