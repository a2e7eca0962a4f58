/**
 * Makes a postgres provider call slow on purpose, for fault tests: the test holds the advisory lock the provider
 * takes on the (role, login) pair, so a worker's GRANT or REVOKE for that login waits inside the provider (up to
 * the provider's 10 s statement timeout) until the test releases it.
 */
import pg from 'pg';
import { lockKey } from '../../src/providers/postgres/postgres-sql.ts';
import type { FaultRig } from './fault-rig.ts';

/** Holds the provider's lock on (rig.role, account) from a session of the test's own, until released. */
export async function holdProviderLock(rig: FaultRig, account: string): Promise<{ release(): Promise<void> }> {
  const session = new pg.Client({ connectionString: rig.targetDb.url, application_name: 'fault-lock-holder' });
  session.on('error', () => undefined);
  await session.connect();
  await session.query('SELECT pg_advisory_lock(hashtext($1))', [lockKey(rig.role, account)]);
  return { release: () => session.end() };
}

/** A provider call of a worker waits on that lock on the target right now. */
export async function providerCallBlocked(rig: FaultRig): Promise<boolean> {
  const { rows } = await rig.target.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'stint' AND wait_event_type = 'Lock'`,
  );
  return rows[0]!.n > 0;
}
