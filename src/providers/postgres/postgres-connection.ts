/**
 * One short-lived admin connection per provider call (opened, used, closed): grants are rare, and no pool
 * can go stale between them. Every connection has a connect and a statement timeout. Errors from the target
 * become UNAVAILABLE (retried by the caller) with the URL's password masked.
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

export async function withTarget<T>(options: TargetOptions, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: options.url,
    connectionTimeoutMillis: options.connectTimeoutSec * 1000,
    statement_timeout: options.statementTimeoutMs,
    // Client-side guard too: a target that stops answering must not hang a worker.
    query_timeout: options.statementTimeoutMs + 1000,
    application_name: 'stint',
  });
  // A connection dropped while idle emits 'error'; without a listener it would crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
    return await work(client);
  } catch (error) {
    throw isStintError(error) ? error : targetError(options.url, error);
  } finally {
    await client.end().catch(() => {});
  }
}

/** BEGIN … COMMIT, rolled back on any error. */
export async function inTransaction<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
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
export async function lockPair(client: pg.Client, key: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
}

/**
 * Ends every session logged in as `login` and waits (up to 5 s each) until they are gone. REVOKE alone is not
 * enough: a session that already ran `SET ROLE` keeps the role's privileges.
 */
export async function terminateSessions(client: pg.Client, login: string): Promise<number> {
  const result = await client.query(
    'SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()) t',
    [login],
  );
  return (result.rows[0] as { n: number }).n;
}

export async function roleExists(client: pg.Client, name: string): Promise<boolean> {
  const result = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
  return result.rowCount === 1;
}
