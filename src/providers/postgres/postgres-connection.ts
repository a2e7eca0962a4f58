/**
 * The admin connections to each target: a small pool per connection URL. Under load (issue 11) a grant, its
 * revoke and the check after it each paid a new backend and its authentication on the target, more than the
 * work itself; a pooled connection is reused while calls keep coming and closed after TARGET_IDLE_MS without one.
 * A connection that failed in any way is destroyed, not reused, so a broken or half-finished session never
 * serves the next call; one that died while idle leaves the pool by itself. Every connection has a connect and
 * a statement timeout. Errors from the target become UNAVAILABLE (retried by the caller) with the URL's
 * password masked.
 */
import pg from 'pg';
import { StintError, isStintError } from '../../domain/errors.ts';

export interface TargetOptions {
  url: string;
  connectTimeoutSec: number;
  statementTimeoutMs: number;
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable connection URL)';
  }
}

function targetError(url: string, error: unknown): StintError {
  let reason = error instanceof Error ? error.message || error.constructor.name : String(error);
  try {
    const password = decodeURIComponent(new URL(url).password);
    if (password) reason = reason.replaceAll(password, '***');
  } catch {
    // unparseable URL: the reason cannot contain a password we know how to find
  }
  const code = (error as { code?: unknown }).code;
  return new StintError('UNAVAILABLE', `postgres target ${redactUrl(url)} refused: ${reason}`, typeof code === 'string' ? { code } : undefined);
}

/** Connections kept per target URL: calls beyond it wait (within the connect timeout) for one to be free. */
export const TARGET_POOL_MAX = 8;
/** An idle connection is closed after this; a target with no grants for a while has no Stint session open. */
export const TARGET_IDLE_MS = 10_000;

export interface TargetPools {
  /** Runs `work` on one admin connection to the target, returned to its pool afterwards (destroyed after an error). */
  withTarget<T>(options: TargetOptions, work: (client: pg.ClientBase) => Promise<T>): Promise<T>;
  /** Admin connections open now, all targets together (idle and in use). */
  openConnections(): number;
  close(): Promise<void>;
}

export function createTargetPools(): TargetPools {
  const pools = new Map<string, pg.Pool>();
  const poolFor = (options: TargetOptions) => {
    const key = JSON.stringify([options.url, options.connectTimeoutSec, options.statementTimeoutMs]);
    let pool = pools.get(key);
    if (!pool) {
      pool = new pg.Pool({
        connectionString: options.url,
        connectionTimeoutMillis: options.connectTimeoutSec * 1000,
        statement_timeout: options.statementTimeoutMs,
        // Client-side guard too: a target that stops answering must not hang a worker.
        query_timeout: options.statementTimeoutMs + 1000,
        application_name: 'stint',
        max: TARGET_POOL_MAX,
        idleTimeoutMillis: TARGET_IDLE_MS,
        allowExitOnIdle: true,
      });
      // An idle connection dropped by the target emits 'error' on the pool (which removes it); without a listener
      // it would crash the process.
      pool.on('error', () => {});
      pools.set(key, pool);
    }
    return pool;
  };
  return {
    async withTarget(options, work) {
      let client: pg.PoolClient | undefined;
      let failed = false;
      try {
        client = await poolFor(options).connect();
        return await work(client);
      } catch (error) {
        failed = true;
        throw isStintError(error) ? error : targetError(options.url, error);
      } finally {
        // After an error the session's state is unknown (a transaction left open, a query still running): destroy it.
        client?.release(failed);
      }
    },
    openConnections: () => [...pools.values()].reduce((sum, pool) => sum + pool.totalCount, 0),
    async close() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.allSettled(all.map((pool) => pool.end()));
    },
  };
}

/** BEGIN … COMMIT, rolled back on any error. */
export async function inTransaction<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** Serialises work on one (role, grantee) pair for the rest of the transaction. */
export async function lockPair(client: pg.ClientBase, key: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
}

/**
 * Ends every session logged in as `login` and waits (up to 5 s each) until they are gone. REVOKE alone is not
 * enough: a session that already ran `SET ROLE` keeps the role's privileges.
 */
export async function terminateSessions(client: pg.ClientBase, login: string): Promise<number> {
  const result = await client.query(
    'SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()) t',
    [login],
  );
  return (result.rows[0] as { n: number }).n;
}

export async function roleExists(client: pg.ClientBase, name: string): Promise<boolean> {
  const result = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
  return result.rowCount === 1;
}
