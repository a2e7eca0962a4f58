import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrantHandleData, GrantTarget } from '../../src/core/ports.ts';
import { inOneHour, openPostgresTarget, type PostgresTarget } from './postgres-target.ts';

/** The test server trusts every local login, so check the stored SCRAM verifier against the password too. */
function verifierMatches(rolpassword: string, password: string): boolean {
  const match = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(rolpassword);
  if (!match) return false;
  const salted = pbkdf2Sync(password, Buffer.from(match[2]!, 'base64'), Number(match[1]), 32, 'sha256');
  const storedKey = createHash('sha256').update(createHmac('sha256', salted).update('Client Key').digest()).digest('base64');
  return storedKey === match[3];
}

describe('postgres provider, mode ephemeral', () => {
  let t: PostgresTarget;
  let role: string;

  beforeAll(async () => {
    t = await openPostgresTarget();
    role = await t.createRole('reader');
    await t.admin.query('CREATE TABLE orders (id int)');
    await t.admin.query('INSERT INTO orders VALUES (42)');
    await t.admin.query(`GRANT SELECT ON orders TO "${role}"`);
    await t.admin.query(`GRANT CREATE ON SCHEMA public TO "${role}"`);
  });
  afterAll(async () => {
    await t?.close();
  });

  const config = () => t.config(role, 'ephemeral');
  const target = (expiresAt = inOneHour()): GrantTarget => ({ requestId: t.requestId(), resourceId: 'res', principalId: 'alice', account: undefined, expiresAt });
  const validUntil = async (login: string) =>
    (await t.admin.query('SELECT rolvaliduntil FROM pg_roles WHERE rolname = $1', [login])).rows[0]?.rolvaliduntil as Date | undefined;
  const storedPassword = async (login: string) =>
    (await t.admin.query('SELECT rolpassword FROM pg_authid WHERE rolname = $1', [login])).rows[0]?.rolpassword as string | null;
  const loginOf = (handle: GrantHandleData) => String(handle.login);

  it('creates a login role valid until the expiry and holding the granted role', async () => {
    const expiresAt = inOneHour();
    const handle = await t.provider.grant(config(), target(expiresAt));
    expect(loginOf(handle)).toMatch(/^stint_[0-9a-f]{16}$/);
    expect((await validUntil(loginOf(handle)))?.toISOString()).toBe(expiresAt.toISOString());
    const member = await t.admin.query('SELECT pg_has_role($1, $2, $3) AS m', [loginOf(handle), role, 'member']);
    expect(member.rows[0].m).toBe(true);
  });

  it('creates no password until a credential is revealed', async () => {
    const handle = await t.provider.grant(config(), target());
    expect(await storedPassword(loginOf(handle))).toBeNull();
  });

  it('returns the same handle when the same target is granted twice', async () => {
    const same = target();
    const first = await t.provider.grant(config(), same);
    expect(await t.provider.grant(config(), same)).toEqual(first);
  });

  it('creates one role for two concurrent grants of the same target', async () => {
    const same = target();
    const [first, second] = await Promise.all([t.provider.grant(config(), same), t.provider.grant(config(), same)]);
    expect(second).toEqual(first);
  });

  it('mints a credential that logs in and reads what the role may read', async () => {
    const handle = await t.provider.grant(config(), target());
    const credential = await t.provider.credential!(config(), handle);
    expect(credential.username).toBe(loginOf(handle));
    expect(verifierMatches((await storedPassword(credential.username))!, credential.password)).toBe(true);
    const session = await t.login(credential.username, credential.password);
    expect((await session.query('SELECT id FROM orders')).rows).toEqual([{ id: 42 }]);
  });

  it('rotates the password on each credential request', async () => {
    const handle = await t.provider.grant(config(), target());
    const first = await t.provider.credential!(config(), handle);
    const second = await t.provider.credential!(config(), handle);
    expect(second.password).not.toBe(first.password);
    expect(verifierMatches((await storedPassword(second.username))!, first.password)).toBe(false);
  });

  it('puts no password in the credential hint', async () => {
    const handle = await t.provider.grant(config(), target());
    const credential = await t.provider.credential!(config(), handle);
    expect(credential.hint).toContain(credential.username);
    expect(credential.hint).not.toContain(credential.password);
  });

  it('moves VALID UNTIL on extend', async () => {
    const handle = await t.provider.grant(config(), target());
    const later = new Date(inOneHour().getTime() + 3_600_000);
    await t.provider.extend(config(), handle, later);
    expect((await validUntil(loginOf(handle)))?.toISOString()).toBe(later.toISOString());
  });

  it('drops the role and ends its live session on revoke', async () => {
    const handle = await t.provider.grant(config(), target());
    const credential = await t.provider.credential!(config(), handle);
    const session = await t.login(credential.username, credential.password);
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect(await validUntil(loginOf(handle))).toBeUndefined();
    await expect(session.query('SELECT 1')).rejects.toThrow();
  });

  it('drops a role that created objects (they are handed to the admin)', async () => {
    const handle = await t.provider.grant(config(), target());
    const credential = await t.provider.credential!(config(), handle);
    const session = await t.login(credential.username, credential.password);
    await session.query(`CREATE TABLE ${credential.username}_notes (n int)`);
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect(await t.provider.check(config(), handle)).toBe('absent');
  });

  it('treats a second revoke as success', async () => {
    const handle = await t.provider.grant(config(), target());
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    await expect(t.provider.revoke(config(), handle, { stillNeeded: false })).resolves.toBeUndefined();
  });

  it('checks present while granted and absent after revoke', async () => {
    const handle = await t.provider.grant(config(), target());
    expect(await t.provider.check(config(), handle)).toBe('present');
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect(await t.provider.check(config(), handle)).toBe('absent');
  });

  it('refuses to extend or mint for a revoked grant', async () => {
    const handle = await t.provider.grant(config(), target());
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    await expect(t.provider.extend(config(), handle, inOneHour())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(t.provider.credential!(config(), handle)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
