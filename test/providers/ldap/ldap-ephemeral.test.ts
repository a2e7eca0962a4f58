import { Client, InvalidCredentialsError } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUPS, PEOPLE, startLdapRig, type LdapRig } from './ldap-setup.ts';

let rig: LdapRig;
beforeAll(async () => {
  rig = await startLdapRig();
});
afterAll(async () => {
  await rig?.stop();
});

const config = (extra: Record<string, unknown> = {}) => rig.config({ mode: 'ephemeral', base_distinguished_name: PEOPLE, ...extra });

async function bindAs(dn: string, password: string): Promise<void> {
  const client = new Client({ url: rig.slapd.url, timeout: 3000 });
  try {
    await client.bind(dn, password);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

describe('ldap ephemeral accounts', () => {
  it('creates a posix account under the base DN, with a uidNumber from the range, and deletes it on revoke', async () => {
    const handle = await rig.provider.grant(config({ uidNumberRange: [71000, 71009] }), rig.target(undefined));
    const dn = handle.dn as string;
    expect(dn).toMatch(new RegExp(`^uid=stint-[0-9a-f]{12},${PEOPLE}$`));
    expect(await rig.values(dn, 'objectClass')).toEqual(expect.arrayContaining(['inetOrgPerson', 'posixAccount']));
    const uidNumber = Number((await rig.values(dn, 'uidNumber'))[0]);
    expect(uidNumber).toBeGreaterThanOrEqual(71000);
    expect(uidNumber).toBeLessThanOrEqual(71009);
    expect(await rig.values(dn, 'userPassword')).toEqual([]);
    expect(await rig.provider.check(config(), handle)).toBe('present');
    await rig.provider.revoke(config(), handle, { stillNeeded: false });
    expect(await rig.values(dn, 'uid')).toEqual([]);
    expect(await rig.provider.check(config(), handle)).toBe('absent');
  });

  it('gives a retried grant the same account', async () => {
    const target = rig.target(undefined);
    const first = await rig.provider.grant(config(), target);
    const second = await rig.provider.grant(config(), target);
    expect(second).toEqual(first);
    await rig.provider.revoke(config(), first, { stillNeeded: false });
  });

  it('gives two accounts in a one-number range distinct uidNumbers or refuses, never a duplicate', async () => {
    const range = { uidNumberRange: [72000, 72000] };
    const first = await rig.provider.grant(config(range), rig.target(undefined));
    await expect(rig.provider.grant(config(range), rig.target(undefined))).rejects.toThrow('no free uidNumber in [72000, 72000]');
    await rig.provider.revoke(config(), first, { stillNeeded: false });
  });

  it('mints a password the account can bind with, and a fresh one stops the old', async () => {
    const handle = await rig.provider.grant(config(), rig.target(undefined));
    const minted = await rig.provider.credential!(config(), handle);
    expect(minted.username).toBe(handle.uid);
    expect(minted.hint).toBe(`bind as ${handle.dn as string} on ${rig.slapd.url}`);
    await expect(bindAs(handle.dn as string, minted.password)).resolves.toBeUndefined();
    // Hashed by the server (Password Modify), never stored as given.
    expect((await rig.values(handle.dn as string, 'userPassword'))[0]).toMatch(/^\{SSHA\}/);
    const again = await rig.provider.credential!(config(), handle);
    await expect(bindAs(handle.dn as string, minted.password)).rejects.toBeInstanceOf(InvalidCredentialsError);
    await expect(bindAs(handle.dn as string, again.password)).resolves.toBeUndefined();
    expect(JSON.stringify(handle)).not.toContain(minted.password);
    await rig.provider.revoke(config(), handle, { stillNeeded: false });
    await expect(bindAs(handle.dn as string, again.password)).rejects.toBeInstanceOf(InvalidCredentialsError);
  });

  it('adds the account to the group by DN or by uid and removes it on revoke', async () => {
    for (const [group, attribute] of [[`cn=dba,${GROUPS}`, 'member'], [`cn=wheel,${GROUPS}`, 'memberUid']] as const) {
      const withGroup = config({ group, memberAttribute: attribute });
      const handle = await rig.provider.grant(withGroup, rig.target(undefined));
      const value = attribute === 'member' ? (handle.dn as string) : (handle.uid as string);
      expect(await rig.values(group, attribute)).toContain(value);
      await rig.provider.revoke(withGroup, handle, { stillNeeded: false });
      await rig.provider.revoke(withGroup, handle, { stillNeeded: false });
      expect(await rig.values(group, attribute)).not.toContain(value);
    }
  });

  it('extends only the expiry the credential reports', async () => {
    const handle = await rig.provider.grant(config(), rig.target(undefined));
    const later = new Date(Date.now() + 7_200_000);
    const extended = await rig.provider.extend(config(), handle, later);
    expect(extended).toEqual({ ...handle, expiresAt: later.toISOString() });
    expect((await rig.provider.credential!(config(), extended)).expiresAt).toEqual(later);
    await rig.provider.revoke(config(), handle, { stillNeeded: false });
  });

  it('says a revealed credential is gone once the account is revoked', async () => {
    const handle = await rig.provider.grant(config(), rig.target(undefined));
    await rig.provider.revoke(config(), handle, { stillNeeded: false });
    await expect(rig.provider.credential!(config(), handle)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('no longer exists') });
  });

  it('names the missing base DN', async () => {
    const bad = config({ base_distinguished_name: `ou=nowhere,dc=stint,dc=test` });
    await expect(rig.provider.grant(bad, rig.target(undefined))).rejects.toMatchObject({
      code: 'POLICY_INVALID',
      message: expect.stringContaining('its parent ou=nowhere,dc=stint,dc=test must exist: create it, or fix base_distinguished_name'),
    });
  });

  it('says which access the bind DN lacks where it may not create entries', async () => {
    const bad = config({ base_distinguished_name: 'ou=services,dc=stint,dc=test' });
    await expect(rig.provider.grant(bad, rig.target(undefined))).rejects.toMatchObject({
      code: 'POLICY_INVALID',
      message: expect.stringMatching(/^ldap: the bind DN cn=stint,ou=services,dc=stint,dc=test may not add uid=stint-[0-9a-f]{12},ou=services,dc=stint,dc=test: grant it write access to the entry and children of ou=services/),
    });
  });
});

describe('ldap ephemeral orphan listing (listGranted)', () => {
  it('lists the accounts Stint made with their request ids, and the listed handle deletes the account', async () => {
    const target = rig.target(undefined);
    const handle = await rig.provider.grant(config(), target);
    const listed = (await rig.provider.listGranted!(config())).find((entry) => entry.requestId === target.requestId);
    expect(listed?.handle).toMatchObject({ mode: 'ephemeral', uid: handle.uid, dn: handle.dn, resourceId: 'ldap-res' });
    expect((await rig.provider.listGranted!(config())).map((entry) => entry.handle.uid)).not.toContain('alice');
    await rig.provider.revoke(config(), listed!.handle, { stillNeeded: false });
    expect(await rig.provider.check(config(), handle)).toBe('absent');
  });
});
