/**
 * What a grantee does with the access (issue 12): their sessions' activity for idle revocation, and statement
 * logging for the grant's lifetime (`logStatements: true`: `ALTER ROLE … SET log_statement = 'all'`, which applies
 * to sessions opened afterwards — the server log then holds every statement the grantee ran).
 */
import type pg from 'pg';
import { quoteIdent } from './postgres-sql.ts';

export interface SessionActivity {
  /** A session of the login is running a statement right now. */
  active: boolean;
  /** The latest state change of any of its sessions (a statement started or ended); null with no session. */
  lastAt: Date | null;
}

/**
 * `idle in transaction` is not activity: a session holding a transaction open and doing nothing is exactly what
 * idle revocation is for. The admin connection itself is never counted (another user).
 */
export async function activityOf(client: pg.ClientBase, login: string): Promise<SessionActivity> {
  const result = await client.query(
    `SELECT coalesce(bool_or(state = 'active'), false) AS active, max(coalesce(state_change, backend_start)) AS last_at
       FROM pg_stat_activity WHERE usename = $1 AND pid <> pg_backend_pid()`,
    [login],
  );
  const row = result.rows[0] as { active: boolean; last_at: Date | null };
  return { active: row.active, lastAt: row.last_at };
}

const LOG_LEVELS = ['none', 'ddl', 'mod', 'all'] as const;

/** The role's own log_statement setting (all databases), whoever set it; null when it has none. */
export async function statementLogSetting(client: pg.ClientBase, login: string): Promise<string | null> {
  const result = await client.query(
    `SELECT c AS setting FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole, unnest(s.setconfig) c
      WHERE r.rolname = $1 AND s.setdatabase = 0 AND c LIKE 'log\\_statement=%'`,
    [login],
  );
  const row = result.rows[0] as { setting: string } | undefined;
  return row ? row.setting.slice('log_statement='.length) : null;
}

export async function setStatementLog(client: pg.ClientBase, login: string, level: (typeof LOG_LEVELS)[number] = 'all'): Promise<void> {
  await client.query(`ALTER ROLE ${quoteIdent(login)} SET log_statement = '${level}'`);
}

/** Puts back what was there before Stint: the earlier level, or no setting at all. */
export async function restoreStatementLog(client: pg.ClientBase, login: string, previous: string | null): Promise<void> {
  const level = LOG_LEVELS.find((l) => l === previous);
  if (level) await setStatementLog(client, login, level);
  else await client.query(`ALTER ROLE ${quoteIdent(login)} RESET log_statement`);
}
