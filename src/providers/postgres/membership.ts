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

export interface MembershipHandle extends GrantHandleData {
  mode: 'membership';
  role: string;
  account: string;
  marker: string;
  preexisting: boolean;
}

interface MarkerNote {
  stint: 'membership';
  role: string;
  account: string;
  preexisting: boolean;
}

async function isDirectMember(client: pg.Client, role: string, account: string): Promise<boolean> {
  const result = await client.query(
    `SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member
      WHERE r.rolname = $1 AND u.rolname = $2`,
    [role, account],
  );
  return (result.rowCount ?? 0) > 0;
}

/** Marker notes for this (role, account) pair, keyed by marker name. */
async function markersOf(client: pg.Client, role: string, account: string): Promise<Map<string, MarkerNote>> {
  const result = await client.query(
    `SELECT r.rolname AS name, d.description AS note FROM pg_roles r
       JOIN pg_shdescription d ON d.objoid = r.oid AND d.classoid = 'pg_authid'::regclass
      WHERE r.rolname LIKE 'stint\\_m\\_%' AND d.description LIKE '{%'
        AND d.description::jsonb ->> 'role' = $1 AND d.description::jsonb ->> 'account' = $2`,
    [role, account],
  );
  return new Map(result.rows.map((row: { name: string; note: string }) => [row.name, JSON.parse(row.note) as MarkerNote]));
}

export async function grantMembership(client: pg.Client, role: string, target: GrantTarget & { account: string }): Promise<MembershipHandle> {
  const { account } = target;
  const marker = `stint_m_${shortGrantId(target.requestId, target.resourceId)}`;
  return inTransaction(client, async () => {
    await lockPair(client, lockKey(role, account));
    const markers = await markersOf(client, role, account);
    const own = markers.get(marker);
    if (own) return { mode: 'membership', role, account, marker, preexisting: own.preexisting };
    const member = await isDirectMember(client, role, account);
    // Another Stint request's membership is Stint's, not preexisting: inherit what its marker recorded.
    const preexisting = member && (markers.size === 0 || [...markers.values()].some((note) => note.preexisting));
    const note: MarkerNote = { stint: 'membership', role, account, preexisting };
    await client.query(`CREATE ROLE ${quoteIdent(marker)} NOLOGIN`);
    await client.query(`COMMENT ON ROLE ${quoteIdent(marker)} IS ${quoteLiteral(JSON.stringify(note))}`);
    if (!member) await client.query(`GRANT ${quoteIdent(role)} TO ${quoteIdent(account)}`);
    return { mode: 'membership', role, account, marker, preexisting };
  });
}

export async function revokeMembership(client: pg.Client, handle: MembershipHandle, stillNeeded: boolean): Promise<void> {
  const remove = !handle.preexisting && !stillNeeded;
  const removed = await inTransaction(client, async () => {
    await lockPair(client, lockKey(handle.role, handle.account));
    await client.query(`DROP ROLE IF EXISTS ${quoteIdent(handle.marker)}`);
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

/** Direct membership only. For a preexisting handle this reports access Stint does not own and never removes. */
export async function checkMembership(client: pg.Client, handle: MembershipHandle): Promise<'present' | 'absent'> {
  return (await isDirectMember(client, handle.role, handle.account)) ? 'present' : 'absent';
}
