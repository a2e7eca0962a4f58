import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDirectoryAccount,
  deleteDirectoryAccount,
  directoryAccountExists,
  directorySupportsSshKeys,
  parseLdapConnection,
  type LdapConnectionConfig,
} from '../../../src/providers/ldap/directory-accounts.ts';
import { PEOPLE, startLdapRig, uniqueId, type LdapRig } from './ldap-setup.ts';

const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl stint-gateway';

let withKeys: LdapRig;
let stock: LdapRig;
beforeAll(async () => {
  [withKeys, stock] = await Promise.all([startLdapRig({ sshKeys: true }), startLdapRig()]);
});
afterAll(async () => {
  await Promise.all([withKeys?.stop(), stock?.stop()]);
});

const connection = (rig: LdapRig): LdapConnectionConfig => parseLdapConnection(rig.config());
const options = (rig: LdapRig) => ({ env: rig.env });

describe('directory accounts (the linux provider domain mode)', () => {
  it('creates uid=<uid>,<baseDn> once, reports it, and deletes it (both idempotent)', async () => {
    const uid = uniqueId('stint-');
    const ldap = connection(stock);
    const { dn } = await createDirectoryAccount(ldap, { uid, baseDn: PEOPLE }, options(stock));
    expect(dn).toBe(`uid=${uid},${PEOPLE}`);
    expect(await createDirectoryAccount(ldap, { uid, baseDn: PEOPLE }, options(stock))).toEqual({ dn });
    expect(await directoryAccountExists(ldap, dn, options(stock))).toBe(true);
    expect(await stock.values(dn, 'homeDirectory')).toEqual([`/home/${uid}`]);
    await deleteDirectoryAccount(ldap, dn, options(stock));
    await deleteDirectoryAccount(ldap, dn, options(stock));
    expect(await directoryAccountExists(ldap, dn, options(stock))).toBe(false);
  });

  it('sets a given password through the server (hashed), so the account can bind with it', async () => {
    const uid = uniqueId('stint-');
    const password = `pw-${uniqueId('')}`;
    const { dn } = await createDirectoryAccount(connection(stock), { uid, baseDn: PEOPLE, password }, options(stock));
    expect((await stock.values(dn, 'userPassword'))[0]).toMatch(/^\{SSHA\}/);
    const client = new Client({ url: stock.slapd.url, timeout: 3000 });
    try {
      await expect(client.bind(dn, password)).resolves.toBeUndefined();
    } finally {
      await client.unbind();
    }
    await deleteDirectoryAccount(connection(stock), dn, options(stock));
  });

  it('stores an SSH public key where the directory has the openssh-lpk schema', async () => {
    const ldap = connection(withKeys);
    expect(await directorySupportsSshKeys(ldap, options(withKeys))).toBe(true);
    const { dn } = await createDirectoryAccount(ldap, { uid: uniqueId('stint-'), baseDn: PEOPLE, sshPublicKey: SSH_KEY }, options(withKeys));
    expect(await withKeys.values(dn, 'sshPublicKey')).toEqual([SSH_KEY]);
    await deleteDirectoryAccount(ldap, dn, options(withKeys));
  });

  it('refuses an SSH key where the directory has no openssh-lpk schema, instead of dropping it', async () => {
    const ldap = connection(stock);
    expect(await directorySupportsSshKeys(ldap, options(stock))).toBe(false);
    const uid = uniqueId('stint-');
    await expect(createDirectoryAccount(ldap, { uid, baseDn: PEOPLE, sshPublicKey: SSH_KEY }, options(stock))).rejects.toMatchObject({
      code: 'POLICY_INVALID',
      message: expect.stringContaining('has no openssh-lpk schema (objectClass ldapPublicKey)'),
    });
    expect(await directoryAccountExists(ldap, `uid=${uid},${PEOPLE}`, options(stock))).toBe(false);
  });

  it('refuses a uid that is not a user name', async () => {
    await expect(createDirectoryAccount(connection(stock), { uid: 'Bad Name,ou=x', baseDn: PEOPLE }, options(stock))).rejects.toThrow('is not a valid user name');
  });
});
