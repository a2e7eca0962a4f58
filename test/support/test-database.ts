/**
 * Fresh databases for integration tests. Each caller gets its own PostgreSQL database (random name, dropped
 * afterwards) on the shared server at `TEST_DATABASE_ADMIN_URL`, or an in-memory PGlite. The admin database is
 * only used to CREATE and DROP the test's own database; no other database is touched.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { migrate } from '../../src/store/migrate.ts';
import { openStore, type OpenStoreOptions, type Store } from '../../src/store/open-store.ts';
import { pgClientDriver, pgliteDriver, type SqlDriver } from '../../src/store/sql-driver.ts';

export const TEST_DATABASE_ADMIN_URL =
  process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `stint_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  const url = new URL(TEST_DATABASE_ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      // FORCE: a test that failed half-way may have left sessions open.
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

// PGlite's initdb takes seconds here; loading a dumped data folder takes well under one. Built once per worker.
let emptyPgliteImage: Promise<File | Blob> | undefined;
let migratedPgliteImage: Promise<File | Blob> | undefined;

async function dumpOf(prepare: (db: PGlite) => Promise<void>, from?: File | Blob): Promise<File | Blob> {
  const db = await PGlite.create(from ? { loadDataDir: from } : {});
  try {
    await prepare(db);
    return await db.dumpDataDir('none');
  } finally {
    await db.close();
  }
}

function emptyImage(): Promise<File | Blob> {
  emptyPgliteImage ??= dumpOf(async () => {});
  return emptyPgliteImage;
}

/** A new in-memory PGlite with an empty database (fresh cluster, nothing shared with other callers). */
export async function emptyPglite(): Promise<PGlite> {
  return PGlite.create({ loadDataDir: await emptyImage() });
}

/** A new in-memory PGlite already migrated (the store's migrator then finds nothing to apply). */
async function migratedPglite(): Promise<PGlite> {
  migratedPgliteImage ??= emptyImage().then((empty) =>
    dumpOf(async (db) => {
      await migrate(pgliteDriver(db, { closeDatabase: false }));
    }, empty),
  );
  return PGlite.create({ loadDataDir: await migratedPgliteImage });
}

export const TEST_STORE_KINDS = ['postgres', 'pglite'] as const;
export type TestStoreKind = (typeof TEST_STORE_KINDS)[number];

export interface TestStore {
  kind: TestStoreKind;
  store: Store;
  /** The PostgreSQL database behind it (undefined for PGlite). */
  database?: TestDatabase;
  close(): Promise<void>;
}

export interface TestDriver {
  driver: SqlDriver;
  database?: TestDatabase;
  /** Another session on the same database (PostgreSQL only). */
  connect(): Promise<SqlDriver>;
  close(): Promise<void>;
}

/** A raw session on an empty database: a fresh PostgreSQL database or a new in-memory PGlite. */
export async function openTestDriver(kind: TestStoreKind): Promise<TestDriver> {
  if (kind === 'pglite') {
    const driver = pgliteDriver(await emptyPglite());
    return {
      driver,
      connect: () => Promise.reject(new Error('PGlite is one session')),
      close: () => driver.close(),
    };
  }
  const database = await createTestDatabase();
  const sessions: SqlDriver[] = [];
  const connect = async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const driver = pgClientDriver(client);
    sessions.push(driver);
    return driver;
  };
  try {
    const driver = await connect();
    return {
      driver,
      database,
      connect,
      async close() {
        await Promise.allSettled(sessions.map((session) => session.close()));
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

/** A migrated store on a fresh PostgreSQL database or an in-memory PGlite. */
export async function openTestStore(
  kind: TestStoreKind,
  options: Omit<OpenStoreOptions, 'databaseUrl' | 'dataDir' | 'pglite'> = {},
): Promise<TestStore> {
  if (kind === 'pglite') {
    const store = await openStore({ ...options, pglite: await migratedPglite() });
    return { kind, store, close: () => store.close() };
  }
  const database = await createTestDatabase();
  try {
    const store = await openStore({ ...options, databaseUrl: database.url });
    return {
      kind,
      store,
      database,
      async close() {
        await store.close().finally(() => database.drop());
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

/** One store of each kind, for `describe.each` over `TEST_STORE_KINDS`. */
export async function openTestStores(
  options: Omit<OpenStoreOptions, 'databaseUrl' | 'dataDir' | 'pglite'> = {},
): Promise<Record<TestStoreKind, TestStore> & { close(): Promise<void> }> {
  const opened = await Promise.allSettled(TEST_STORE_KINDS.map((kind) => openTestStore(kind, options)));
  const stores = opened.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const closeAll = async () => {
    await Promise.allSettled(stores.map((store) => store.close()));
  };
  const failure = opened.find((result) => result.status === 'rejected');
  if (failure) {
    await closeAll();
    throw failure.reason;
  }
  const [postgres, pglite] = stores;
  return { postgres: postgres!, pglite: pglite!, close: closeAll };
}

/**
 * Registers beforeAll/afterAll hooks opening one store of `kind` for the enclosing describe block; call the
 * returned function inside tests.
 */
export function useTestStore(
  kind: TestStoreKind,
  options: Omit<OpenStoreOptions, 'databaseUrl' | 'dataDir' | 'pglite'> = {},
): () => Store {
  let current: TestStore | undefined;
  beforeAll(async () => {
    current = await openTestStore(kind, options);
  });
  afterAll(async () => {
    await current?.close();
  });
  return () => {
    if (!current) throw new Error('the test store is not open yet (use it inside a test or hook)');
    return current.store;
  };
}
