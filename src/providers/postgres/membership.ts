/**
 * `mode: membership`: GRANT an existing role to the person's own login role, REVOKE it afterwards.
 *
 * Whether the person already held the role before Stint (`preexisting`, then Stint never removes it) must
 * survive a crash between GRANT and the caller saving the handle: a retried grant would otherwise see the
 * membership it just created and call it preexisting, and it would never be revoked. So each grant creates,
 * in the same transaction as the GRANT, a NOLOGIN marker role `stint_m_<id>` whose comment records the
 * answer; a retry reads it back, and a second request for the same pair inherits it. Revoke drops the marker,
 * and removes the membership only when no other request's marker for the pair remains.
 */
import type pg from 'pg';
import type { GrantHandleData, GrantTarget } from '../../core/ports.ts';
import { inTransaction, lockPair, roleExists, terminateSessions } from './postgres-connection.ts';
import { lockKey, quoteIdent, quoteLiteral, shortGrantId } from './postgres-sql.ts';
import { restoreStatementLog, setStatementLog, statementLogSetting } from './session-watch.ts';

/**
 * Statement logging of the account for this grant: `stint` set it (the last of Stint's grants puts `previous` back)
 * or it was already `all` before Stint (left alone).
 */
export interface StatementLog {
  setBy: 'stint' | 'preexisting';
  /** The account's log_statement setting before Stint changed it; null: none. */
  previous: string | null;
}

export interface MembershipHandle extends GrantHandleData {
  mode: 'membership';
  role: string;
  account: string;
  marker: string;
  preexisting: boolean;
  /** Present when the resource says `logStatements: true`. */
  logStatements?: StatementLog;
}

interface MarkerNote {
  stint: 'membership';
  role: string;
  account: string;
  preexisting: boolean;
  logStatements?: StatementLog;
}

/** SQL: rows when account `$2` is a direct member of role `$1`. */
const DIRECT_MEMBER = `SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
  WHERE r.rolname = $1 AND u.rolname = $2`;
/** SQL: Stint's marker roles (`r`) with their notes (`d.description`), for a WHERE to narrow by role and account. */
const MARKERS = `FROM pg_roles r JOIN pg_shdescription d ON d.objoid = r.oid AND d.classoid = 'pg_authid'::regclass
  WHERE r.rolname LIKE 'stint\\_m\\_%' AND d.description LIKE '{%'`;

async function isDirectMember(client: pg.ClientBase, role: string, account: string): Promise<boolean> {
  const result = await client.query(DIRECT_MEMBER, [role, account]);
  return (result.rowCount ?? 0) > 0;
}

/** Marker notes for this (role, account) pair — or, without a role, for every role of the account — keyed by marker name. */
async function markersOf(client: pg.ClientBase, role: string | null, account: string): Promise<Map<string, MarkerNote>> {
  const result = await client.query(
    `SELECT r.rolname AS name, d.description AS note ${MARKERS}
        AND ($1::text IS NULL OR d.description::jsonb ->> 'role' = $1) AND d.description::jsonb ->> 'account' = $2`,
    [role, account],
  );
  return new Map(result.rows.map((row: { name: string; note: string }) => [row.name, JSON.parse(row.note) as MarkerNote]));
}

/**
 * Turns statement logging on for the account unless it is on already. Stint's own earlier grant of the account
 * (a marker saying `stint`) means the setting is Stint's too, so the last of them resets it.
 */
async function startStatementLog(client: pg.ClientBase, account: string): Promise<StatementLog> {
  const current = await statementLogSetting(client, account);
  if (current === 'all') {
    const ours = [...(await markersOf(client, null, account)).values()].find((note) => note.logStatements?.setBy === 'stint');
    return ours?.logStatements ?? { setBy: 'preexisting', previous: current };
  }
  await setStatementLog(client, account);
  return { setBy: 'stint', previous: current };
}

export async function grantMembership(client: pg.ClientBase, role: string, target: GrantTarget & { account: string }, options: { logStatements?: boolean } = {}): Promise<MembershipHandle> {
  const { account } = target;
  const marker = `stint_m_${shortGrantId(target.requestId, target.resourceId)}`;
  return inTransaction(client, async () => {
    await lockPair(client, lockKey(role, account));
    const markers = await markersOf(client, role, account);
    const own = markers.get(marker);
    if (own) return { mode: 'membership', role, account, marker, preexisting: own.preexisting, ...(own.logStatements ? { logStatements: own.logStatements } : {}) };
    const member = await isDirectMember(client, role, account);
    // Another Stint request's membership is Stint's, not preexisting: inherit what its marker recorded.
    const preexisting = member && (markers.size === 0 || [...markers.values()].some((note) => note.preexisting));
    const logStatements = options.logStatements ? await startStatementLog(client, account) : undefined;
    const note: MarkerNote = { stint: 'membership', role, account, preexisting, ...(logStatements ? { logStatements } : {}) };
    await client.query(`CREATE ROLE ${quoteIdent(marker)} NOLOGIN`);
    await client.query(`COMMENT ON ROLE ${quoteIdent(marker)} IS ${quoteLiteral(JSON.stringify(note))}`);
    if (!member) await client.query(`GRANT ${quoteIdent(role)} TO ${quoteIdent(account)}`);
    return { mode: 'membership', role, account, marker, preexisting, ...(logStatements ? { logStatements } : {}) };
  });
}

export async function revokeMembership(client: pg.ClientBase, handle: MembershipHandle, stillNeeded: boolean): Promise<void> {
  const remove = !handle.preexisting && !stillNeeded;
  const removed = await inTransaction(client, async () => {
    await lockPair(client, lockKey(handle.role, handle.account));
    await client.query(`DROP ROLE IF EXISTS ${quoteIdent(handle.marker)}`);
    // The last of Stint's grants that turned statement logging on turns it off (whatever the membership does).
    if (handle.logStatements?.setBy === 'stint' && (await roleExists(client, handle.account))) {
      const others = await markersOf(client, null, handle.account);
      if (![...others.values()].some((note) => note.logStatements?.setBy === 'stint')) await restoreStatementLog(client, handle.account, handle.logStatements.previous);
    }
    if (!remove || !(await roleExists(client, handle.account)) || !(await roleExists(client, handle.role))) return false;
    // The target's own count as well: another request's marker for this pair means it still holds the role,
    // even when the caller could not ask Stint's store (a rollback while the store is unreachable).
    if ((await markersOf(client, handle.role, handle.account)).size > 0) return false;
    await client.query(`REVOKE ${quoteIdent(handle.role)} FROM ${quoteIdent(handle.account)}`);
    return true;
  });
  // After the commit, so a session opened meanwhile no longer gets the role; a retry repeats both steps.
  if (removed) await terminateSessions(client, handle.account);
}

/**
 * Direct membership only. For a preexisting handle this reports access Stint does not own and never removes.
 * Reference counted: once this grant's marker is gone (revoked), a membership that another request's marker still
 * holds is that request's access, not this grant's, so this grant's part is `absent` (the drift sweep would
 * otherwise report, and try to remove, the access of a later request for the same person and role).
 */
export async function checkMembership(client: pg.ClientBase, handle: MembershipHandle): Promise<'present' | 'absent'> {
  // One statement, so one snapshot: read apart, another request's revoke could commit in between (its marker gone,
  // the membership read before it still there) and this grant would look present. CASE evaluates the marker scan
  // (every Stint marker's comment) only in the rare case that needs it: ended, yet still a member.
  const { rows } = await client.query<{ state: 'present' | 'absent' }>(
    `SELECT CASE
              WHEN NOT EXISTS (${DIRECT_MEMBER}) THEN 'absent'
              WHEN $4::boolean OR EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $3) THEN 'present'
              WHEN EXISTS (SELECT 1 ${MARKERS} AND d.description::jsonb ->> 'role' = $1 AND d.description::jsonb ->> 'account' = $2) THEN 'absent'
              ELSE 'present'
            END AS state`,
    [handle.role, handle.account, handle.marker, handle.preexisting],
  );
  return rows[0]!.state;
}
