/** The postgres provider's admin connections: pooled per target, never reused after an error, ended by close(). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTargetPools, type TargetPools } from '../../src/providers/postgres/postgres-connection.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

let database: TestDatabase;
let pools: TargetPools;

beforeAll(async () => {
  database = await createTestDatabase();
  pools = createTargetPools();
}, 60_000);

afterAll(async () => {
  await pools?.close();
  await database?.drop();
});

const options = () => ({ url: database.url, connectTimeoutSec: 5, statementTimeoutMs: 10_000 });
const backendPid = () => pools.withTarget(options(), async (client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);

describe('postgres target connections', () => {
  it('reuses one admin connection for calls that follow each other', async () => {
    const first = await backendPid();
    expect(await backendPid()).toBe(first);
    expect(pools.openConnections()).toBe(1);
  });

  it('does not reuse a connection whose call failed', async () => {
    const before = await backendPid();
    const failed = await pools.withTarget(options(), async (client) => {
      await client.query('BEGIN');
      await client.query('SELECT 1/0');
    }).catch((err: unknown) => err);
    expect(failed).toMatchObject({ code: 'UNAVAILABLE' });
    expect(await backendPid()).not.toBe(before);
  });

  it('runs the statement timeout on pooled connections too', async () => {
    const timeout = await pools.withTarget(options(), async (client) => (await client.query<{ t: string }>("SELECT current_setting('statement_timeout') AS t")).rows[0]!.t);
    expect(timeout).toBe('10s');
  });

  it('ends every connection on close', async () => {
    const own = createTargetPools();
    await own.withTarget(options(), (client) => client.query('SELECT 1'));
    expect(own.openConnections()).toBe(1);
    await own.close();
    expect(own.openConnections()).toBe(0);
  });
});
