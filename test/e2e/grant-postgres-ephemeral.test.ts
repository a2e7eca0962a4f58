/**
 * An ephemeral PostgreSQL login, end to end over REST: after approval the requester reveals a password and
 * logs in with it as the ephemeral role; `extend` moves the role's VALID UNTIL in place (same role, same oid,
 * the open session survives); `done` drops the role and the login stops working.
 */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { shortGrantId } from '../../src/providers/postgres/postgres-sql.ts';
import { openPostgresTarget, type PostgresTarget } from '../providers/postgres-target.ts';
import { apiHarness, type ApiHarness } from '../support/api-harness.ts';
import { TEST_DATABASE_ADMIN_URL } from '../support/test-database.ts';

const JIT = '/api/v1/credentials/jit';
let target: PostgresTarget;
let h: ApiHarness;
let role: string;
const requestIds: string[] = [];

/** The test server trusts local logins, so the stored SCRAM verifier is checked against the password as well. */
function verifierMatches(rolpassword: string, password: string): boolean {
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(rolpassword);
  if (!match) return false;
  const salted = pbkdf2Sync(password, Buffer.from(match[2]!, 'base64'), Number(match[1]), 32, 'sha256');
  const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest('base64');
  return storedKey === match[3];
}

beforeAll(async () => {
  target = await openPostgresTarget();
  role = await target.createRole('orders_rw');
  await target.admin.query('CREATE TABLE orders (id int)');
  await target.admin.query('INSERT INTO orders VALUES (7)');
  await target.admin.query(`GRANT SELECT ON orders TO "${role}"`);
  const policy = parsePolicy(
    `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [sre] }
  - { id: carol, email: carol@example.com, groups: [dba] }
timezone: UTC
resources:
  - id: orders-db
    provider: { type: postgres, connection: "env:STINT_TEST_TARGET", role: ${role}, mode: ephemeral }
    maxDuration: 4h
    workflow: one-dba
workflows:
  one-dba: { eligible: [group:sre], approvers: [group:dba], required: 1 }
`,
    'grant-ephemeral-e2e.yaml',
  );
  h = await apiHarness({ policy, people: ['alice', 'carol'], env: { STINT_TEST_TARGET: target.database.url } });
}, 120_000);

afterAll(async () => {
  await h?.close();
  await target?.close();
  // Ephemeral roles are cluster-wide: drop any a failed run left behind.
  const cleaner = new pg.Client({ connectionString: TEST_DATABASE_ADMIN_URL });
  await cleaner.connect();
  try {
    for (const id of requestIds) await cleaner.query(`DROP ROLE IF EXISTS "stint_${shortGrantId(id, 'orders-db')}"`);
  } finally {
    await cleaner.end();
  }
});

const roleRow = async (name: string) =>
  (await target.admin.query<{ oid: number; rolvaliduntil: Date | null; rolpassword: string | null }>(
    'SELECT a.oid::int AS oid, a.rolvaliduntil, a.rolpassword FROM pg_authid a WHERE a.rolname = $1',
    [name],
  )).rows[0];

describe('ephemeral PostgreSQL logins, end to end', () => {
  it('reveals a working password, extends VALID UNTIL in place, and drops the role on done', async () => {
    const created = await h.call('alice', 'POST', JIT, { reason: 'INC-3 orders report', scopes: ['orders-db'], duration: '1h' });
    const id = created.body.id as string;
    requestIds.push(id);
    expect((await h.call('carol', 'POST', `${JIT}/${id}/approve`, {})).body.status).toBe('APPROVED');
    expect((await activateGrant(id, h.app.grants)).status).toBe('ACTIVE');

    const revealed = await h.call('alice', 'POST', `${JIT}/${id}/credential`, {});
    expect(revealed.status).toBe(200);
    expect(revealed.headers['cache-control']).toBe('no-store');
    const [credential] = revealed.body.credentials as Array<{ username: string; password: string; expiresAt: string; hint: string }>;
    expect(credential!.username).toBe(`stint_${shortGrantId(id, 'orders-db')}`);
    expect(credential!.hint).toContain(`${credential!.username}@`);
    expect(credential!.hint).not.toContain(credential!.password);
    const before = (await roleRow(credential!.username))!;
    expect(verifierMatches(before.rolpassword!, credential!.password)).toBe(true);
    const session = await target.login(credential!.username, credential!.password);
    expect((await session.query('SELECT current_user AS who')).rows[0].who).toBe(credential!.username);
    expect((await session.query('SELECT id FROM orders')).rows).toEqual([{ id: 7 }]);

    const view = (await h.call('alice', 'GET', `${JIT}/${id}`)).body;
    expect(before.rolvaliduntil!.toISOString()).toBe(view.expiresAt);
    const extended = await h.call('carol', 'POST', `${JIT}/${id}/extend`, { duration: '30m', comment: 'report still running' });
    expect(extended.status).toBe(200);
    expect(Date.parse(extended.body.expiresAt) - Date.parse(view.expiresAt)).toBe(30 * 60_000);
    const after = (await roleRow(credential!.username))!;
    expect(after.rolvaliduntil!.toISOString()).toBe(extended.body.expiresAt);
    expect(after.oid).toBe(before.oid);
    // Not revoked and granted again: the same session goes on, and the revealed password still works.
    expect((await session.query('SELECT id FROM orders')).rows).toEqual([{ id: 7 }]);
    expect(verifierMatches(after.rolpassword!, credential!.password)).toBe(true);

    const done = await h.call('alice', 'POST', `${JIT}/${id}/done`, {});
    expect(done.body).toMatchObject({ status: 'REVOKED', revokeCause: 'done' });
    expect(await roleRow(credential!.username)).toBeUndefined();
    await expect(target.login(credential!.username, credential!.password)).rejects.toThrow(/does not exist|authentication failed/);

    const actions = (await h.app.store.readAudit(0n, 1000)).filter((e) => e.requestId === id).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['credential.revealed', 'grant.extended', 'grant.revoked']));
  }, 60_000);
});
