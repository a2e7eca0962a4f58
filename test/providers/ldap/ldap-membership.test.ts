import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GROUPS, PEOPLE, startLdapRig, uniqueId, type LdapRig } from './ldap-setup.ts';

let rig: LdapRig;
beforeAll(async () => {
  rig = await startLdapRig();
});
afterAll(async () => {
  await rig?.stop();
});

const CASES = [
  { attribute: 'member', group: `cn=dba,${GROUPS}`, newAccount: () => `uid=${uniqueId('u')},${PEOPLE}`, existing: `uid=carol,${PEOPLE}` },
  { attribute: 'uniqueMember', group: `cn=auditors,${GROUPS}`, newAccount: () => `uid=${uniqueId('u')},${PEOPLE}`, existing: `uid=carol,${PEOPLE}` },
  { attribute: 'memberUid', group: `cn=wheel,${GROUPS}`, newAccount: () => uniqueId('u'), existing: 'carol' },
] as const;

describe.each(CASES)('ldap membership with $attribute', ({ attribute, group, newAccount, existing }) => {
  const config = () => rig.config({ group, memberAttribute: attribute });
  const listed = async (value: string) => (await rig.values(group, attribute)).some((v) => v.toLowerCase() === value.toLowerCase());
  const markers = async () => (await rig.values(group, 'description')).filter((v) => v.startsWith('stint-grant '));

  it('adds the account to the group, checks it present, and removes it on revoke', async () => {
    const account = newAccount();
    const handle = await rig.provider.grant(config(), rig.target(account));
    expect(handle).toMatchObject({ mode: 'membership', group, attribute, value: account, preexisting: false });
    expect(await listed(account)).toBe(true);
    expect(await rig.provider.check(config(), handle)).toBe('present');
    await rig.provider.revoke(config(), handle, { stillNeeded: false });
    expect(await listed(account)).toBe(false);
    expect(await rig.provider.check(config(), handle)).toBe('absent');
  });

  it('keeps a membership the account had before Stint (preexisting), and leaves no marker', async () => {
    const before = await markers();
    const handle = await rig.provider.grant(config(), rig.target(existing));
    expect(handle.preexisting).toBe(true);
    await rig.provider.revoke(config(), handle, { stillNeeded: false });
    expect(await listed(existing)).toBe(true);
    expect(await markers()).toEqual(before);
  });

  it('keeps the membership when another active request still needs it (stillNeeded)', async () => {
    const account = newAccount();
    const handle = await rig.provider.grant(config(), rig.target(account));
    await rig.provider.revoke(config(), handle, { stillNeeded: true });
    expect(await listed(account)).toBe(true);
  });

  it('extends without touching the directory (the handle stays as it was)', async () => {
    const account = newAccount();
    const handle = await rig.provider.grant(config(), rig.target(account));
    expect(await rig.provider.extend(config(), handle, new Date(Date.now() + 7_200_000))).toEqual(handle);
    await rig.provider.revoke(config(), handle, { stillNeeded: false });
  });

  it('accepts a second revoke of the same handle (absent is success)', async () => {
    const account = newAccount();
    const handle = await rig.provider.grant(config(), rig.target(account));
    await rig.provider.revoke(config(), handle, { stillNeeded: false });
    await expect(rig.provider.revoke(config(), handle, { stillNeeded: false })).resolves.toBeUndefined();
  });

  it('returns the same handle when a grant is retried (a crash before the handle was saved is not preexisting)', async () => {
    const account = newAccount();
    const target = rig.target(account);
    const first = await rig.provider.grant(config(), target);
    const second = await rig.provider.grant(config(), target);
    expect(second).toEqual(first);
    expect(second.preexisting).toBe(false);
  });

  it('gives one handle to two concurrent grants of the same target', async () => {
    const target = rig.target(newAccount());
    const [first, second] = await Promise.all([rig.provider.grant(config(), target), rig.provider.grant(config(), target)]);
    expect(second).toEqual(first);
    expect(first.preexisting).toBe(false);
    await rig.provider.revoke(config(), first, { stillNeeded: false });
    expect(await listed(target.account!)).toBe(false);
  });

  it('counts two concurrent requests for the same account as Stint\'s, neither preexisting', async () => {
    const account = newAccount();
    const [first, second] = await Promise.all([rig.provider.grant(config(), rig.target(account)), rig.provider.grant(config(), rig.target(account))]);
    expect([first.preexisting, second.preexisting]).toEqual([false, false]);
    await rig.provider.revoke(config(), first, { stillNeeded: false });
    expect(await listed(account)).toBe(true);
    await rig.provider.revoke(config(), second, { stillNeeded: false });
    expect(await listed(account)).toBe(false);
  });

  it('removes the value only with the last of two requests that hold it', async () => {
    const account = newAccount();
    const first = await rig.provider.grant(config(), rig.target(account));
    const second = await rig.provider.grant(config(), rig.target(account));
    expect(second.preexisting).toBe(false);
    await rig.provider.revoke(config(), first, { stillNeeded: false });
    expect(await listed(account)).toBe(true);
    await rig.provider.revoke(config(), second, { stillNeeded: false });
    expect(await listed(account)).toBe(false);
  });
});

describe('ldap membership refusals', () => {
  it('says which write access the bind DN lacks on a group it may only read', async () => {
    const config = rig.config({ group: `cn=locked,${GROUPS}` });
    await expect(rig.provider.grant(config, rig.target(`uid=${uniqueId('u')},${PEOPLE}`))).rejects.toMatchObject({
      code: 'POLICY_INVALID',
      message: `ldap: the bind DN cn=stint,ou=services,dc=stint,dc=test may not modify cn=locked,${GROUPS}: grant it write access to its member and description attributes`,
    });
  });

  it('names a group that does not exist', async () => {
    const config = rig.config({ group: `cn=nope,${GROUPS}` });
    await expect(rig.provider.grant(config, rig.target(`uid=x,${PEOPLE}`))).rejects.toMatchObject({
      code: 'POLICY_INVALID',
      message: expect.stringContaining(`cn=nope,${GROUPS} does not exist on ${rig.slapd.url}; fix \`group\` in the resource`),
    });
  });

  it('treats a revoke on a group that no longer exists as done', async () => {
    const handle = { mode: 'membership', group: `cn=gone,${GROUPS}`, attribute: 'member', value: `uid=x,${PEOPLE}`, grantId: '0123456789abcdef', preexisting: false };
    await expect(rig.provider.revoke(rig.config({ group: `cn=gone,${GROUPS}` }), handle, { stillNeeded: false })).resolves.toBeUndefined();
  });

  it('asks for accounts.ldap when the person has none', async () => {
    await expect(rig.provider.grant(rig.config({ group: `cn=dba,${GROUPS}` }), rig.target(undefined))).rejects.toMatchObject({
      code: 'POLICY_INVALID',
      message: 'resource ldap-res: alice has no ldap account; add accounts.ldap (their entry DN, e.g. uid=alice,ou=people,dc=corp) for them in the policy',
    });
  });

  it('refuses a uid where the group lists DNs, and a DN where it lists uids', async () => {
    await expect(rig.provider.grant(rig.config({ group: `cn=dba,${GROUPS}` }), rig.target('alice'))).rejects.toThrow(
      'accounts.ldap of alice must be their entry DN, e.g. uid=alice,ou=people,dc=corp, because the group lists member values',
    );
    await expect(rig.provider.grant(rig.config({ group: `cn=wheel,${GROUPS}`, memberAttribute: 'memberUid' }), rig.target(`uid=alice,${PEOPLE}`))).rejects.toThrow(
      'accounts.ldap of alice must be their user name (uid), e.g. alice, because the group lists memberUid values',
    );
  });

  it('refuses revealing a credential for a membership', async () => {
    const config = rig.config({ group: `cn=dba,${GROUPS}` });
    const handle = await rig.provider.grant(config, rig.target(`uid=${uniqueId('u')},${PEOPLE}`));
    await expect(rig.provider.credential!(config, handle)).rejects.toMatchObject({ code: 'POLICY_INVALID', message: expect.stringContaining('no credential to reveal') });
    await rig.provider.revoke(config, handle, { stillNeeded: false });
  });
});

describe('ldap membership orphan listing (listGranted)', () => {
  const config = () => rig.config({ group: `cn=dba,${GROUPS}` });

  it('lists what Stint added with its request id, never a preexisting membership, and the listed handle revokes it', async () => {
    const target = rig.target(`uid=${uniqueId('u')},${PEOPLE}`);
    const added = await rig.provider.grant(config(), target);
    const kept = await rig.provider.grant(config(), rig.target(`uid=carol,${PEOPLE}`));
    const listed = await rig.provider.listGranted!(config());
    expect(listed).toContainEqual({ requestId: target.requestId, handle: added });
    expect(listed.map((entry) => entry.handle.value)).not.toContain(`uid=carol,${PEOPLE}`);
    // What the sweep does with a lost handle: revoke the listed one.
    await rig.provider.revoke(config(), listed.find((entry) => entry.requestId === target.requestId)!.handle, { stillNeeded: false });
    expect(await rig.provider.check(config(), added)).toBe('absent');
    expect((await rig.provider.listGranted!(config())).map((entry) => entry.requestId)).not.toContain(target.requestId);
    await rig.provider.revoke(config(), kept, { stillNeeded: false });
  });
});
