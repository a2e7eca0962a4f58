/**
 * `mode: ephemeral`: a login role `stint_<id>` per request scope (the id derived from requestId and
 * resourceId, so a retried grant finds it), member of the granted role, with `VALID UNTIL` the expiry as
 * a second lock on the door (invariant 7). It has no password until the requester reveals a credential.
 */
import type pg from 'pg';
import { StintError } from '../../domain/errors.ts';
import { isNarrowedTable, type Narrowing } from '../../domain/narrowing.ts';
import type { GrantHandleData, GrantTarget, MintedCredential } from '../../core/ports.ts';
import { inTransaction, lockPair, roleExists, terminateSessions } from './postgres-connection.ts';
import { lockKey, quoteIdent, quoteLiteral, randomPassword, scramVerifier, shortGrantId } from './postgres-sql.ts';
import { setStatementLog } from './session-watch.ts';

export interface EphemeralHandle extends GrantHandleData {
  mode: 'ephemeral';
  /** The granted role. */
  roleName: string;
  /** The ephemeral login role. */
  login: string;
}

export async function grantEphemeral(client: pg.ClientBase, role: string, target: GrantTarget, options: { logStatements?: boolean } = {}): Promise<EphemeralHandle> {
  const login = `stint_${shortGrantId(target.requestId, target.resourceId)}`;
  await inTransaction(client, async () => {
    await lockPair(client, lockKey(role, login));
    if (await roleExists(client, login)) return;
    await client.query(`CREATE ROLE ${quoteIdent(login)} LOGIN INHERIT VALID UNTIL ${quoteLiteral(target.expiresAt.toISOString())}`);
    if (target.narrowing) await grantNarrowed(client, role, login, target.narrowing);
    else await client.query(`GRANT ${quoteIdent(role)} TO ${quoteIdent(login)}`);
    // The role is the request's alone: the setting goes with it when it is dropped.
    if (options.logStatements) await setStatementLog(client, login);
    const note = `stint ephemeral login: request ${target.requestId}, resource ${target.resourceId}, for ${target.principalId}`;
    await client.query(`COMMENT ON ROLE ${quoteIdent(login)} IS ${quoteLiteral(note)}`);
  });
  return { mode: 'ephemeral', roleName: role, login };
}

/**
 * Table-level GRANTs instead of the role: a narrowing only takes away, so the role must hold every privilege
 * named (else the grant fails, saying which); the login also gets USAGE on each schema the role may use.
 * DROP OWNED at revoke takes all of it back.
 */
async function grantNarrowed(client: pg.ClientBase, role: string, login: string, narrowing: Narrowing): Promise<void> {
  for (const { table, privileges } of narrowing.filter(isNarrowedTable)) {
    const exists = await client.query('SELECT to_regclass($1) IS NOT NULL AS ok', [table]);
    if (!(exists.rows[0] as { ok: boolean }).ok) throw new StintError('POLICY_INVALID', `narrowing: there is no table ${table} on this database`);
    for (const privilege of privileges) {
      const held = await client.query('SELECT has_table_privilege($1, $2, $3) AS ok', [role, table, privilege]);
      if (!(held.rows[0] as { ok: boolean }).ok) {
        throw new StintError('POLICY_INVALID', `narrowing: ${role} has no ${privilege} on ${table}, and a narrowing can only take away; ask for what ${role} allows`);
      }
    }
    const [schema, name] = table.includes('.') ? table.split('.') : [null, table];
    const usage = schema ? await client.query('SELECT has_schema_privilege($1, $2, $3) AS ok', [role, schema, 'USAGE']) : null;
    if (schema && (usage!.rows[0] as { ok: boolean }).ok) await client.query(`GRANT USAGE ON SCHEMA ${quoteIdent(schema)} TO ${quoteIdent(login)}`);
    const qualified = schema ? `${quoteIdent(schema)}.${quoteIdent(name!)}` : quoteIdent(name!);
    await client.query(`GRANT ${privileges.join(', ')} ON TABLE ${qualified} TO ${quoteIdent(login)}`);
  }
}

function notFound(handle: EphemeralHandle): StintError {
  return new StintError('NOT_FOUND', `ephemeral role ${handle.login} no longer exists (already revoked); request access again`);
}

export async function extendEphemeral(client: pg.ClientBase, handle: EphemeralHandle, newExpiry: Date): Promise<EphemeralHandle> {
  if (!(await roleExists(client, handle.login))) throw notFound(handle);
  await client.query(`ALTER ROLE ${quoteIdent(handle.login)} VALID UNTIL ${quoteLiteral(newExpiry.toISOString())}`);
  return handle;
}

/** Sets a fresh password (any earlier one stops working). Only its SCRAM verifier is sent to the server. */
export async function mintEphemeralCredential(client: pg.ClientBase, handle: EphemeralHandle, hintUrl: string): Promise<MintedCredential> {
  const result = await client.query('SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1', [handle.login]);
  const row = result.rows[0] as { rolvaliduntil: Date | null } | undefined;
  if (!row) throw notFound(handle);
  const password = randomPassword();
  await client.query(`ALTER ROLE ${quoteIdent(handle.login)} PASSWORD ${quoteLiteral(scramVerifier(password))}`);
  const hint = new URL(hintUrl);
  hint.username = handle.login;
  hint.password = '';
  hint.search = '';
  return { username: handle.login, password, expiresAt: row.rolvaliduntil ?? new Date(0), hint: hint.toString() };
}

/**
 * Stops new logins, ends live sessions, then drops the role. Objects it created in the admin connection's
 * database are reassigned to the admin first; objects in other databases make the DROP fail, and the
 * caller retries (never reported as revoked while the role exists).
 */
export async function revokeEphemeral(client: pg.ClientBase, handle: EphemeralHandle): Promise<void> {
  if (!(await roleExists(client, handle.login))) return;
  const login = quoteIdent(handle.login);
  await client.query(`ALTER ROLE ${login} NOLOGIN`);
  await terminateSessions(client, handle.login);
  await inTransaction(client, async () => {
    await client.query(`REASSIGN OWNED BY ${login} TO CURRENT_USER`);
    await client.query(`DROP OWNED BY ${login}`);
    await client.query(`DROP ROLE IF EXISTS ${login}`);
  });
}

export async function checkEphemeral(client: pg.ClientBase, handle: EphemeralHandle): Promise<'present' | 'absent'> {
  return (await roleExists(client, handle.login)) ? 'present' : 'absent';
}
