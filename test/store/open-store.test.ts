import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR } from '../../src/store/migrate.ts';
import { openStore } from '../../src/store/open-store.ts';
import { at, makeRequest } from '../support/store-fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

describe('openStore on postgres', () => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it('migrates a fresh database and answers ping', async () => {
    database = await createTestDatabase();
    const store = await openStore({ databaseUrl: database.url });
    try {
      expect(store.kind).toBe('postgres');
      await expect(store.ping()).resolves.toBeUndefined();
      const rows = await store.driver.query(`SELECT 1 FROM "_prisma_migrations"`);
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it('with migrate: false leaves an empty database untouched', async () => {
    database = await createTestDatabase();
    const store = await openStore({ databaseUrl: database.url, migrate: false });
    try {
      const tables = await store.driver.query(
        `SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema()`,
      );
      expect(tables).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('stores true UTC instants even when the database TimeZone is not UTC', async () => {
    database = await createTestDatabase();
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE "${database.name}" SET timezone = 'America/New_York'`);
      const store = await openStore({ databaseUrl: database.url });
      const request = makeRequest({ createdAt: at('2026-07-01T12:00:00.250Z') });
      try {
        await store.transaction((tx) => tx.insertRequest(request));
        expect((await store.getRequest(request.id))?.createdAt).toEqual(request.createdAt);
      } finally {
        await store.close();
      }
      // Another client, in the database's New York session time zone, must see the same instant.
      const { rows } = await admin.query(
        `SELECT (extract(epoch FROM "createdAt") * 1000)::int8::text AS ms FROM "Request" WHERE "id" = $1`,
        [request.id],
      );
      expect(Number(rows[0].ms)).toBe(request.createdAt.getTime());
    } finally {
      await admin.end();
    }
  });

  async function sessionsOn(name: string): Promise<number> {
    const admin = new pg.Client({ connectionString: database!.url });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [name],
      );
      return rows[0].n as number;
    } finally {
      await admin.end();
    }
  }

  it('closes every connection it opened, and closing twice is harmless', async () => {
    database = await createTestDatabase();
    const store = await openStore({ databaseUrl: database.url });
    await store.ping();
    await store.readAudit(0n, 1);
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
    expect(await sessionsOn(database.name)).toBe(0);
  });

  it('openSession gives a separate session that holds its own advisory lock', async () => {
    database = await createTestDatabase();
    const store = await openStore({ databaseUrl: database.url });
    const session = await store.openSession();
    try {
      await session.query('SELECT pg_advisory_lock(42)');
      const [row] = await store.driver.query<{ got: boolean }>('SELECT pg_try_advisory_lock(42) AS got');
      expect(row?.got).toBe(false);
    } finally {
      await session.close();
      await store.close();
    }
  });

  it('fails and releases its connections when a migration fails', async () => {
    database = await createTestDatabase();
    const missing = path.join(tmpdir(), 'stint-no-such-migrations-dir');
    await expect(openStore({ databaseUrl: database.url, migrationsDir: missing })).rejects.toThrow(
      /Cannot read the migrations folder/,
    );
    // drop() in afterEach uses FORCE, so check no session of ours is left instead.
    expect(await sessionsOn(database.name)).toBe(0);
  });
});

describe('openStore on PGlite', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('creates the data folder and keeps the data across a close and reopen', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'stint-pglite-'));
    dirs.push(parent);
    const dataDir = path.join(parent, 'nested', '.stint');
    const request = makeRequest();

    const first = await openStore({ dataDir });
    expect(first.kind).toBe('pglite');
    await first.transaction((tx) => tx.insertRequest(request));
    await first.close();
    expect((await stat(dataDir)).isDirectory()).toBe(true);

    const second = await openStore({ dataDir });
    try {
      expect(await second.getRequest(request.id)).toEqual(request);
      // Reopening applies nothing twice: one row per migration folder.
      const migrations = await readdir(DEFAULT_MIGRATIONS_DIR);
      expect(await second.driver.query(`SELECT 1 FROM "_prisma_migrations"`)).toHaveLength(migrations.length);
    } finally {
      await second.close();
    }
  });

  it('opens in memory with memory:// and answers ping', async () => {
    const store = await openStore({ dataDir: 'memory://' });
    try {
      await expect(store.ping()).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });
});

describe('embedded data folder', () => {
  it('refuses a second process while one holds it, naming the holder, and frees it on close', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'stint-lock-'));
    const pidFile = path.join(dir, 'stint.pid');
    // Another live process holds it.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    writeFileSync(pidFile, String(other.pid));
    try {
      await expect(openStore({ dataDir: dir })).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { pid: other.pid } });
    } finally {
      other.kill();
      await new Promise((r) => other.once('exit', r));
    }
    // The holder died: its stale pid file is taken over, and released on close.
    const store = await openStore({ dataDir: dir });
    expect(readFileSync(pidFile, 'utf8')).toBe(String(process.pid));
    await store.close();
    expect(existsSync(pidFile)).toBe(false);
    await rm(dir, { recursive: true, force: true });
  }, 60_000);
});
