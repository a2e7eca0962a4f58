import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrantTarget } from '../../src/core/ports.ts';
import { inOneHour, openPostgresTarget, type PostgresTarget } from './postgres-target.ts';

describe('postgres provider, mode membership', () => {
  let t: PostgresTarget;
  let role: string;
  let accountCount = 0;

  beforeAll(async () => {
    t = await openPostgresTarget();
    role = await t.createRole('reader');
  });
  afterAll(async () => {
    await t?.close();
  });

  const config = () => t.config(role, 'membership');
  const newAccount = () => t.createRole(`user${accountCount++}`, `LOGIN PASSWORD 'pw'`);
  const target = (account: string, requestId = t.requestId()): GrantTarget => ({
    requestId,
    resourceId: 'res',
    principalId: 'alice',
    account,
    expiresAt: inOneHour(),
  });
  const isMember = async (account: string) =>
    (await t.admin.query('SELECT pg_has_role($1, $2, $3) AS m', [account, role, 'member'])).rows[0].m as boolean;

  it('grants the role to the account', async () => {
    const account = await newAccount();
    const handle = await t.provider.grant(config(), target(account));
    expect(handle.preexisting).toBe(false);
    expect(await isMember(account)).toBe(true);
  });

  it('returns the same handle when the same target is granted twice (a retried grant is not preexisting)', async () => {
    const account = await newAccount();
    const same = target(account);
    const first = await t.provider.grant(config(), same);
    const second = await t.provider.grant(config(), same);
    expect(second).toEqual(first);
    expect(second.preexisting).toBe(false);
  });

  it('gives one handle to two concurrent grants of the same target', async () => {
    const account = await newAccount();
    const same = target(account);
    const [first, second] = await Promise.all([t.provider.grant(config(), same), t.provider.grant(config(), same)]);
    expect(second).toEqual(first);
    expect(first.preexisting).toBe(false);
  });

  it('revokes the membership it granted', async () => {
    const account = await newAccount();
    const handle = await t.provider.grant(config(), target(account));
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect(await isMember(account)).toBe(false);
  });

  it('treats revoking an absent membership as success', async () => {
    const account = await newAccount();
    const handle = await t.provider.grant(config(), target(account));
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    await expect(t.provider.revoke(config(), handle, { stillNeeded: false })).resolves.toBeUndefined();
  });

  it('never removes a membership the account held before Stint', async () => {
    const account = await newAccount();
    await t.admin.query(`GRANT "${role}" TO "${account}"`);
    const handle = await t.provider.grant(config(), target(account));
    expect(handle.preexisting).toBe(true);
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect(await isMember(account)).toBe(true);
  });

  it('keeps the membership when another active request still needs it', async () => {
    const account = await newAccount();
    const first = await t.provider.grant(config(), target(account));
    const second = await t.provider.grant(config(), target(account));
    expect(second.preexisting).toBe(false);
    await t.provider.revoke(config(), first, { stillNeeded: true });
    expect(await isMember(account)).toBe(true);
    await t.provider.revoke(config(), second, { stillNeeded: false });
    expect(await isMember(account)).toBe(false);
  });

  it('ends a live session of the account that did SET ROLE', async () => {
    const account = await newAccount();
    const handle = await t.provider.grant(config(), target(account));
    const session = await t.login(account, 'pw');
    await session.query(`SET ROLE "${role}"`);
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    await expect(session.query('SELECT 1')).rejects.toThrow();
  });

  it('checks present while granted and absent after revoke', async () => {
    const account = await newAccount();
    const handle = await t.provider.grant(config(), target(account));
    expect(await t.provider.check(config(), handle)).toBe('present');
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect(await t.provider.check(config(), handle)).toBe('absent');
  });

  it("reports a revoked grant absent while a later request's grant of the same role holds the membership", async () => {
    const account = await newAccount();
    const first = await t.provider.grant(config(), target(account));
    const second = await t.provider.grant(config(), target(account));
    await t.provider.revoke(config(), first, { stillNeeded: false });
    expect(await isMember(account)).toBe(true);
    expect(await t.provider.check(config(), first)).toBe('absent');
    expect(await t.provider.check(config(), second)).toBe('present');
    // Out of band: the membership is back after the last grant ended and no marker holds it — that is drift.
    await t.provider.revoke(config(), second, { stillNeeded: false });
    await t.admin.query(`GRANT "${role}" TO "${account}"`);
    expect(await t.provider.check(config(), first)).toBe('present');
  });

  it('extends without touching the membership', async () => {
    const account = await newAccount();
    const handle = await t.provider.grant(config(), target(account));
    expect(await t.provider.extend(config(), handle, new Date(Date.now() + 7_200_000))).toEqual(handle);
    expect(await isMember(account)).toBe(true);
  });

  it('refuses a person without a postgres account', async () => {
    await expect(t.provider.grant(config(), { ...target('x'), account: undefined })).rejects.toMatchObject({ code: 'POLICY_INVALID' });
  });
});
