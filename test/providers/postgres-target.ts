/**
 * A fresh database plus uniquely prefixed roles for one postgres provider test file. Roles are cluster-wide,
 * so every role a test creates (its own, and the stint_* roles the provider creates for its request ids)
 * is dropped in `close()`.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TEST_DATABASE_ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { createPostgresProvider } from '../../src/providers/postgres/postgres-provider.ts';
import type { Provider } from '../../src/core/ports.ts';
import { shortGrantId } from '../../src/providers/postgres/postgres-sql.ts';

export interface PostgresTarget {
  database: TestDatabase;
  admin: pg.Client;
  provider: Provider;
  /** Unique per test file: prefix of every role and request id this file creates. */
  prefix: string;
  config(role: string, mode: 'membership' | 'ephemeral'): Record<string, unknown>;
  /** A new request id whose provider roles are dropped in close(). */
  requestId(): string;
  createRole(suffix: string, options?: string): Promise<string>;
  /** A client logged in as `user` on the test database. */
  login(user: string, password: string): Promise<pg.Client>;
  close(): Promise<void>;
}

export async function openPostgresTarget(): Promise<PostgresTarget> {
  const database = await createTestDatabase();
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  const prefix = `t${randomBytes(4).toString('hex')}_`;
  const roles: string[] = [];
  const requestIds: string[] = [];
  const clients: pg.Client[] = [];
  const env = { STINT_TEST_TARGET: database.url };
  const provider = createPostgresProvider({ env });
  return {
    database,
    admin,
    provider,
    prefix,
    config: (role, mode) => ({ type: 'postgres', connection: 'env:STINT_TEST_TARGET', role, mode }),
    requestId() {
      const id = `${prefix}req${requestIds.length}`;
      requestIds.push(id);
      return id;
    },
    async createRole(suffix, options = 'NOLOGIN') {
      const name = `${prefix}${suffix}`;
      await admin.query(`CREATE ROLE "${name}" ${options}`);
      roles.push(name);
      return name;
    },
    async login(user, password) {
      const url = new URL(database.url);
      url.username = user;
      url.password = password;
      const client = new pg.Client({ connectionString: url.toString() });
      client.on('error', () => {});
      await client.connect();
      clients.push(client);
      return client;
    },
    async close() {
      await provider.close?.();
      await Promise.allSettled(clients.map((client) => client.end()));
      await admin.end().catch(() => {});
      await database.drop();
      const generated = requestIds.flatMap((id) =>
        ['res', 'res2'].flatMap((resource) => [`stint_${shortGrantId(id, resource)}`, `stint_m_${shortGrantId(id, resource)}`]),
      );
      const cleaner = new pg.Client({ connectionString: TEST_DATABASE_ADMIN_URL });
      await cleaner.connect();
      try {
        // Provider roles first: they may be members of the test's roles.
        for (const name of [...generated, ...roles.reverse()]) {
          await cleaner.query(`DROP ROLE IF EXISTS "${name}"`);
        }
      } finally {
        await cleaner.end();
      }
    },
  };
}

export function inOneHour(): Date {
  return new Date(Math.ceil(Date.now() / 1000) * 1000 + 3_600_000);
}
