/**
 * PostgreSQL terminating a connection the store holds in the middle of a transaction (a failover, an idle-session
 * reaper, pg_terminate_backend) fails that transaction — it never takes the process down.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { makeRequest } from '../support/store-fixtures.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

let db: TestDatabase;
let store: Store;
let admin: pg.Client;
const errors: unknown[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  store = await openStore({ databaseUrl: db.url, onConnectionError: (err) => errors.push(err) });
  admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await store?.close();
  await db?.drop();
});

describe('a connection terminated inside a transaction', () => {
  it('fails that transaction, reports the connection error, and the store keeps working', async () => {
    const request = makeRequest();
    await store.transaction((tx) => tx.insertRequest(request));
    const outcome = await store
      .transaction(async (tx) => {
        await tx.lockRequest(request.id);
        // Every other session of this database, the one holding the lock included.
        await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db.name]);
        await new Promise((r) => setTimeout(r, 300));
        await tx.lockRequest(request.id);
      })
      .then(
        () => 'committed',
        () => 'failed',
      );
    expect(outcome).toBe('failed');
    expect(errors.length).toBeGreaterThan(0);
    expect((await store.getRequest(request.id))?.id).toBe(request.id);
  });
});
