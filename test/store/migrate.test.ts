import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, MIGRATION_LOCK_KEY, MigrationError, migrate } from '../../src/store/migrate.ts';
import { openTestDriver, TEST_STORE_KINDS, type TestDriver } from '../support/test-database.ts';

const REPO_MIGRATIONS = path.resolve(import.meta.dirname, '../../prisma/migrations');

async function migrationNames(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
}

/** A copy of the repository's migrations the test may edit. */
async function copyMigrations(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'stint-migrations-'));
  await cp(REPO_MIGRATIONS, dir, { recursive: true });
  return dir;
}

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished: boolean;
  rolled_back: boolean;
  logs: string | null;
  applied_steps_count: number;
}

const selectRows = `SELECT "id", "checksum", "migration_name", "finished_at" IS NOT NULL AS "finished",
  "rolled_back_at" IS NOT NULL AS "rolled_back", "logs", "applied_steps_count"::int AS "applied_steps_count"
  FROM "_prisma_migrations" ORDER BY "migration_name"`;

describe.each(TEST_STORE_KINDS)('migrate on %s', (kind) => {
  let db: TestDriver;
  const tempDirs: string[] = [];

  async function fresh(): Promise<TestDriver> {
    db = await openTestDriver(kind);
    return db;
  }

  afterEach(async () => {
    await db?.close();
    await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('applies every migration folder to an empty database, in name order', async () => {
    const { driver } = await fresh();
    const result = await migrate(driver);
    expect(result.applied).toEqual(await migrationNames(REPO_MIGRATIONS));
    const tables = await driver.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(['AuditEvent', 'Request', '_prisma_migrations']));
  });

  it("records each migration in _prisma_migrations with Prisma's checksum (sha256 of migration.sql)", async () => {
    const { driver } = await fresh();
    await migrate(driver);
    const rows = await driver.query<MigrationRow>(selectRows);
    const expected = await Promise.all(
      (await migrationNames(REPO_MIGRATIONS)).map(async (name) => ({
        migration_name: name,
        checksum: createHash('sha256')
          .update(await readFile(path.join(REPO_MIGRATIONS, name, 'migration.sql')))
          .digest('hex'),
        finished: true,
        rolled_back: false,
        logs: null,
        applied_steps_count: 1,
      })),
    );
    expect(rows.map(({ id: _id, ...row }) => row)).toEqual(expected);
    for (const row of rows) expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('creates _prisma_migrations with the columns and types Prisma uses', async () => {
    const { driver } = await fresh();
    await migrate(driver);
    const columns = await driver.query<{ column_name: string; data_type: string; is_nullable: string; len: number | null }>(
      `SELECT column_name, data_type, is_nullable, character_maximum_length::int AS len
         FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', is_nullable: 'NO', len: 36 },
      { column_name: 'checksum', data_type: 'character varying', is_nullable: 'NO', len: 64 },
      { column_name: 'finished_at', data_type: 'timestamp with time zone', is_nullable: 'YES', len: null },
      { column_name: 'migration_name', data_type: 'character varying', is_nullable: 'NO', len: 255 },
      { column_name: 'logs', data_type: 'text', is_nullable: 'YES', len: null },
      { column_name: 'rolled_back_at', data_type: 'timestamp with time zone', is_nullable: 'YES', len: null },
      { column_name: 'started_at', data_type: 'timestamp with time zone', is_nullable: 'NO', len: null },
      { column_name: 'applied_steps_count', data_type: 'integer', is_nullable: 'NO', len: null },
    ]);
  });

  it('applies nothing on a second run', async () => {
    const { driver } = await fresh();
    await migrate(driver);
    const second = await migrate(driver);
    expect(second.applied).toEqual([]);
    expect(await driver.query(selectRows)).toHaveLength((await migrationNames(REPO_MIGRATIONS)).length);
  });

  it('refuses a migration whose file changed after it was applied, naming it, and applies nothing', async () => {
    const { driver } = await fresh();
    const dir = await copyMigrations();
    tempDirs.push(dir);
    await migrate(driver, dir);
    const [first] = await migrationNames(dir);
    await writeFile(path.join(dir, first!, 'migration.sql'), '\n-- edited after deploy\n', { flag: 'a' });
    await mkdir(path.join(dir, '20991231000000_later'));
    await writeFile(path.join(dir, '20991231000000_later', 'migration.sql'), 'CREATE TABLE "Later" ("id" int);');

    const error = await migrate(driver, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).migration).toBe(first);
    expect((error as Error).message).toContain(`Migration ${first} was modified after it was applied`);
    const later = await driver.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'Later'`);
    expect(later).toEqual([]);
  });

  it('accepts a migration whose only change is CRLF line endings (as Prisma does)', async () => {
    const { driver } = await fresh();
    const dir = await copyMigrations();
    tempDirs.push(dir);
    await migrate(driver, dir);
    const [first] = await migrationNames(dir);
    const file = path.join(dir, first!, 'migration.sql');
    await writeFile(file, (await readFile(file, 'utf8')).replaceAll('\n', '\r\n'));
    await expect(migrate(driver, dir)).resolves.toEqual({ applied: [] });
  });

  it('rolls back a failing migration and reports its name and the SQL error', async () => {
    const { driver } = await fresh();
    const dir = await copyMigrations();
    tempDirs.push(dir);
    await mkdir(path.join(dir, '20991231000000_broken'));
    await writeFile(
      path.join(dir, '20991231000000_broken', 'migration.sql'),
      'CREATE TABLE "HalfDone" ("id" int);\nSELECT * FROM "NoSuchTable";\n',
    );

    const error = await migrate(driver, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toMatch(/20991231000000_broken failed and was rolled back: .*NoSuchTable/);
    const half = await driver.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'HalfDone'`);
    expect(half).toEqual([]);
    const rows = await driver.query<MigrationRow>(selectRows);
    expect(rows.map((row) => row.migration_name)).toEqual(await migrationNames(REPO_MIGRATIONS));
  });

  it('refuses to run while a migration is recorded as started but never finished', async () => {
    const { driver } = await fresh();
    await migrate(driver);
    const [first] = await migrationNames(REPO_MIGRATIONS);
    await driver.query(`UPDATE "_prisma_migrations" SET "finished_at" = NULL WHERE "migration_name" = $1`, [first]);
    await expect(migrate(driver)).rejects.toThrow(`Migration ${first} started earlier but never finished`);
  });

  it('releases the migration lock when it is done', async () => {
    const { driver } = await fresh();
    await migrate(driver);
    const other = kind === 'postgres' ? await db.connect() : driver;
    const [row] = await other.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [
      MIGRATION_LOCK_KEY,
    ]);
    expect(row?.locked).toBe(true);
    await other.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]);
  });
});

describe('migrate on postgres, concurrently', () => {
  let db: TestDriver | undefined;
  afterEach(async () => {
    await db?.close();
  });

  it('serialises two runs on the same database: one applies, the other finds nothing to do', async () => {
    db = await openTestDriver('postgres');
    const second = await db.connect();
    const results = await Promise.all([migrate(db.driver), migrate(second)]);
    const applied = results.map((result) => result.applied.length).sort();
    expect(applied).toEqual([0, (await migrationNames(REPO_MIGRATIONS)).length]);
  });

  it('waits for a migration lock held elsewhere and gives up with a clear error after lockTimeoutMs', async () => {
    db = await openTestDriver('postgres');
    const holder = await db.connect();
    await holder.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await expect(migrate(db.driver, DEFAULT_MIGRATIONS_DIR, { lockTimeoutMs: 200 })).rejects.toThrow(
      /held the migration lock .* for over 200 ms/,
    );
  });
});

describe('DEFAULT_MIGRATIONS_DIR', () => {
  it("is the repository's prisma/migrations, found from the module's own location", () => {
    expect(path.resolve(DEFAULT_MIGRATIONS_DIR)).toBe(REPO_MIGRATIONS);
  });
});
