/**
 * Applies prisma/migrations/<name>/migration.sql at start-up, the way `prisma migrate deploy` would, without
 * Prisma's schema engine (DESIGN.md section 3). Bookkeeping is Prisma's own `_prisma_migrations` table with
 * Prisma's checksum, and the lock is Prisma's advisory-lock key, so `prisma migrate deploy` stays usable (and
 * mutually exclusive with us) wherever the engine exists.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqlDriver } from './sql-driver.ts';

/** The key `prisma migrate` locks; sharing it serialises us with Prisma's CLI and with other replicas. */
export const MIGRATION_LOCK_KEY = 72707369;

/** <repo>/prisma/migrations, from src/store/ and from dist/store/ alike. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));

export interface MigrateOptions {
  /** How long to wait for another process's migration lock before giving up. @defaultValue 60 000 */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  /** Folder names applied by this run, in order. */
  applied: string[];
}

export class MigrationError extends Error {
  constructor(
    readonly migration: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

// Exactly the table `prisma migrate` creates, so Prisma's CLI reads our bookkeeping and we read its.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"            VARCHAR(64) NOT NULL,
    "finished_at"         TIMESTAMPTZ,
    "migration_name"      VARCHAR(255) NOT NULL,
    "logs"                TEXT,
    "rolled_back_at"      TIMESTAMPTZ,
    "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

interface LocalMigration {
  name: string;
  script: string;
  checksum: string;
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished: boolean;
}

/** Prisma's checksum: SHA-256 of the script's bytes, lower-case hex. */
export function migrationChecksum(script: string | Uint8Array): string {
  return createHash('sha256').update(script).digest('hex');
}

/** Prisma's comparison: line-ending agnostic, and tolerant of the old non-zero-padded hex. */
export function scriptMatchesChecksum(script: string, checksum: string): boolean {
  const variants = [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')];
  return variants.some((variant) => {
    const digest = createHash('sha256').update(variant).digest();
    const rendered =
      checksum.length === 64 ? digest.toString('hex') : [...digest].map((byte) => byte.toString(16)).join('');
    return rendered === checksum;
  });
}

export async function readMigrations(migrationsDir: string): Promise<LocalMigration[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true }).catch((error: unknown) => {
    throw new Error(`Cannot read the migrations folder ${migrationsDir}: ${(error as Error).message}`, {
      cause: error,
    });
  });
  const names = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  names.sort();
  const migrations: LocalMigration[] = [];
  for (const name of names) {
    const file = path.join(migrationsDir, name, 'migration.sql');
    if (!(await stat(file).catch(() => null))?.isFile()) continue;
    const bytes = await readFile(file);
    migrations.push({ name, script: bytes.toString('utf8'), checksum: migrationChecksum(bytes) });
  }
  return migrations;
}

export async function migrate(
  driver: SqlDriver,
  migrationsDir: string = DEFAULT_MIGRATIONS_DIR,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const local = await readMigrations(migrationsDir);
  await lockMigrations(driver, options.lockTimeoutMs ?? 60_000);
  try {
    await driver.exec(CREATE_MIGRATIONS_TABLE);
    const pending = await pendingMigrations(driver, local);
    const applied: string[] = [];
    for (const migration of pending) {
      await applyMigration(driver, migration);
      applied.push(migration.name);
    }
    return { applied };
  } finally {
    await driver.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
  }
}

async function lockMigrations(driver: SqlDriver, timeoutMs: number): Promise<void> {
  await driver.exec(`SET lock_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
  try {
    await driver.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
  } catch (error) {
    throw new Error(
      `Another process has held the migration lock (pg_advisory_lock ${MIGRATION_LOCK_KEY}) for over ${timeoutMs} ms; ` +
        'wait for it to finish or end its session',
      { cause: error },
    );
  } finally {
    await driver.exec('RESET lock_timeout');
  }
}

/** Checks every recorded migration first, so a refusal leaves the database untouched. */
async function pendingMigrations(driver: SqlDriver, local: LocalMigration[]): Promise<LocalMigration[]> {
  const rows = await driver.query<AppliedRow>(
    `SELECT "migration_name", "checksum", "finished_at" IS NOT NULL AS "finished"
       FROM "_prisma_migrations" WHERE "rolled_back_at" IS NULL ORDER BY "started_at"`,
  );
  const pending: LocalMigration[] = [];
  for (const migration of local) {
    const recorded = rows.filter((row) => row.migration_name === migration.name);
    const done = recorded.find((row) => row.finished);
    if (done) {
      if (!scriptMatchesChecksum(migration.script, done.checksum)) {
        throw new MigrationError(
          migration.name,
          `Migration ${migration.name} was modified after it was applied (recorded checksum ${done.checksum}, ` +
            `file checksum ${migration.checksum}). Restore the original migration.sql and put the change in a new migration.`,
        );
      }
      continue;
    }
    if (recorded.length > 0) {
      throw new MigrationError(
        migration.name,
        `Migration ${migration.name} started earlier but never finished (_prisma_migrations.finished_at is NULL). ` +
          `Repair the database, then mark it rolled back (prisma migrate resolve --rolled-back ${migration.name}).`,
      );
    }
    pending.push(migration);
  }
  return pending;
}

async function applyMigration(driver: SqlDriver, migration: LocalMigration): Promise<void> {
  try {
    await driver.transaction(async (tx) => {
      await tx.exec(migration.script);
      await tx.query(
        `INSERT INTO "_prisma_migrations" ("id", "checksum", "migration_name", "finished_at", "applied_steps_count")
         VALUES ($1, $2, $3, clock_timestamp(), 1)`,
        [randomUUID(), migration.checksum, migration.name],
      );
    });
  } catch (error) {
    throw new MigrationError(
      migration.name,
      `Migration ${migration.name} failed and was rolled back: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
