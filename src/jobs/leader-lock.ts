/**
 * Leader election for work exactly one process should do (the reconciler): a session-level
 * `pg_try_advisory_lock` held on a dedicated connection — not a pooled one, which could be reaped and
 * silently drop the lock. If the session dies, PostgreSQL releases the lock and another process takes over.
 */
import type { SqlDriver } from '../store/sql-driver.ts';

/** "STINTLDR" as a bigint key; distinct from the migration lock. */
export const LEADER_LOCK_KEY = 0x5354494e544c4452n;

export interface Leadership {
  /** Confirms the session still answers (a dead session means the lock is gone). */
  alive(): Promise<boolean>;
  release(): Promise<void>;
}

export async function tryLeadership(openSession: () => Promise<SqlDriver>): Promise<Leadership | null> {
  const session = await openSession();
  try {
    const [row] = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [LEADER_LOCK_KEY.toString()]);
    if (!row?.locked) {
      await session.close();
      return null;
    }
  } catch (err) {
    await session.close().catch(() => undefined);
    throw err;
  }
  return {
    async alive() {
      try {
        await session.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async release() {
      await session.query('SELECT pg_advisory_unlock($1::bigint)', [LEADER_LOCK_KEY.toString()]).catch(() => undefined);
      await session.close().catch(() => undefined);
    },
  };
}
