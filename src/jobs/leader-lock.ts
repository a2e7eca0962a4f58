/**
 * Leader election for work exactly one process should do (the reconciler): a session-level
 * `pg_try_advisory_lock` held on a dedicated connection — not a pooled one, which could be reaped and
 * silently drop the lock. If the session dies, PostgreSQL releases the lock and another process takes over.
 * A candidate that did not get the lock keeps its session for the next try, so trying every few seconds costs
 * one query, not a connection.
 */
import type { SqlDriver } from '../store/sql-driver.ts';

/** "STINTLDR" as a bigint key; distinct from the migration lock. */
export const LEADER_LOCK_KEY = 0x5354494e544c4452n;

export interface Leadership {
  /** Confirms the session still answers (a dead session means the lock is gone). */
  alive(): Promise<boolean>;
  release(): Promise<void>;
}

export interface LeaderCandidate {
  /** Takes the lock if it is free: the leadership, or null while another process holds it. */
  tryLead(): Promise<Leadership | null>;
  /** Closes the session kept between tries. */
  close(): Promise<void>;
}

export function leaderCandidate(openSession: () => Promise<SqlDriver>): LeaderCandidate {
  let spare: SqlDriver | null = null;
  return {
    async tryLead() {
      const session = spare ?? (await openSession());
      spare = null;
      try {
        const [row] = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [LEADER_LOCK_KEY.toString()]);
        if (!row?.locked) {
          spare = session;
          return null;
        }
      } catch (err) {
        await session.close().catch(() => undefined);
        throw err;
      }
      return leadershipOn(session);
    },
    async close() {
      await spare?.close().catch(() => undefined);
      spare = null;
    },
  };
}

function leadershipOn(session: SqlDriver): Leadership {
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
