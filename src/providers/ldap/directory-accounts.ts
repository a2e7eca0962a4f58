/**
 * Short-lived directory accounts (inetOrgPerson + posixAccount, `uid=<uid>,<baseDn>`): the ldap provider's
 * `mode: ephemeral` and the linux provider's `ephemeral_account_type: domain` both make them here. Every function
 * is idempotent (create finds an existing entry, delete of an absent one succeeds), so a retried grant or revoke
 * is harmless. Passwords are set with the Password Modify extended operation (RFC 3062), so the server hashes
 * them; an entry is created without one.
 *
 * `sshPublicKey` needs the openssh-lpk schema (objectClass ldapPublicKey), which stock OpenLDAP does not load:
 * when the directory lacks it, create refuses (POLICY_INVALID) instead of dropping the key silently — ask
 * `directorySupportsSshKeys` first, or let the host hold the key.
 */
import { createHash } from 'node:crypto';
import { AlreadyExistsError, BerWriter, Change, Attribute, NoSuchObjectError, ProtocolError, UnavailableCriticalExtensionError } from 'ldapts';
import { StintError } from '../../domain/errors.ts';
import { DEFAULT_UID_RANGE, DN_SHAPE, UID_SHAPE, parseLdapConnection, type LdapConnectionConfig } from './ldap-config.ts';
import { withLdap, type LdapCallOptions, type LdapSession } from './ldap-connection.ts';

export { parseLdapConnection, type LdapConnectionConfig };

export interface DirectoryAccount {
  uid: string;
  /** Where the entry goes, e.g. ou=people,dc=corp. */
  baseDn: string;
  /** An OpenSSH public key line, stored as `sshPublicKey` (openssh-lpk schema required). */
  sshPublicKey?: string;
  /** Set with Password Modify after the entry exists (hashed by the server). */
  password?: string;
  /** Where the uidNumber is picked, deterministically from the uid, skipping numbers in use. @defaultValue [70000, 79999] */
  uidNumberRange?: [number, number];
  /** @defaultValue the uidNumber */
  gidNumber?: number;
  /** Why the account exists (request, resource, person): for whoever reads the directory. */
  description?: string;
}

const PASSWORD_MODIFY_OID = '1.3.6.1.4.1.4203.1.11.1';

export const accountDn = (uid: string, baseDn: string) => `uid=${uid},${baseDn}`;

export async function entryExists(session: LdapSession, dn: string): Promise<boolean> {
  return session.run({ action: 'read', target: dn, access: 'read access to it' }, async (client) => {
    try {
      const found = await client.search(dn, { scope: 'base', attributes: ['1.1'] });
      return found.searchEntries.length > 0;
    } catch (error) {
      if (error instanceof NoSuchObjectError) return false;
      throw error;
    }
  });
}

async function firstValue(session: LdapSession, dn: string, attribute: string): Promise<string[]> {
  const found = await session.client.search(dn, { scope: 'base', attributes: [attribute] }).catch(() => ({ searchEntries: [] }));
  const value = found.searchEntries[0]?.[attribute];
  return value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
}

/** The naming context holding `baseDn` (uidNumbers must be unique in all of it), else `baseDn` itself. */
async function namingContextOf(session: LdapSession, baseDn: string): Promise<string> {
  const norm = (dn: string) => dn.toLowerCase().replace(/\s*([,=])\s*/g, '$1');
  const contexts = await firstValue(session, '', 'namingContexts');
  return contexts.find((context) => norm(baseDn).endsWith(norm(context))) ?? baseDn;
}

async function pickUidNumber(session: LdapSession, uid: string, baseDn: string, [min, max]: [number, number]): Promise<number> {
  const root = await namingContextOf(session, baseDn);
  const size = max - min + 1;
  const start = createHash('sha256').update(uid).digest().readUInt32BE(0) % size;
  for (let probe = 0; probe < Math.min(size, 64); probe++) {
    const candidate = min + ((start + probe) % size);
    const taken = await session.run({ action: 'search', target: root, access: 'read access to uidNumber' }, (client) =>
      client.search(root, { scope: 'sub', filter: `(uidNumber=${candidate})`, attributes: ['1.1'], sizeLimit: 1 }),
    );
    if (taken.searchEntries.length === 0) return candidate;
  }
  throw new StintError('POLICY_INVALID', `ldap: no free uidNumber in [${min}, ${max}] near ${uid}'s slot; widen uidNumberRange`);
}

export async function supportsSshKeys(session: LdapSession): Promise<boolean> {
  const [subschema] = await firstValue(session, '', 'subschemaSubentry');
  if (!subschema) return false;
  const classes = await firstValue(session, subschema, 'objectClasses');
  return classes.some((definition) => /NAME\s+'ldapPublicKey'/i.test(definition));
}

/** Sets `password` on `dn` via Password Modify; a directory without the extension gets a userPassword replace. */
export async function setPassword(session: LdapSession, dn: string, password: string): Promise<void> {
  const operation = { action: 'set the password of', target: dn, access: 'write access to its userPassword attribute' };
  await session.run(operation, async (client) => {
    const writer = new BerWriter();
    writer.startSequence();
    writer.writeString(dn, 0x80);
    writer.writeString(password, 0x82);
    writer.endSequence();
    try {
      await client.exop(PASSWORD_MODIFY_OID, writer.buffer);
    } catch (error) {
      if (!(error instanceof ProtocolError || error instanceof UnavailableCriticalExtensionError)) throw error;
      await client.modify(dn, new Change({ operation: 'replace', modification: new Attribute({ type: 'userPassword', values: [password] }) }));
    }
  });
}

export async function createAccountEntry(session: LdapSession, account: DirectoryAccount): Promise<{ dn: string }> {
  if (!UID_SHAPE.test(account.uid)) throw new StintError('POLICY_INVALID', `ldap: ${account.uid} is not a valid user name ([a-z_][a-z0-9_.-]*, at most 32 characters)`);
  if (!DN_SHAPE.test(account.baseDn)) throw new StintError('POLICY_INVALID', `ldap: base DN ${account.baseDn} is not a distinguished name`);
  const dn = accountDn(account.uid, account.baseDn);
  if (!(await entryExists(session, dn))) {
    if (account.sshPublicKey && !(await supportsSshKeys(session))) {
      throw new StintError('POLICY_INVALID', `ldap: ${session.url} has no openssh-lpk schema (objectClass ldapPublicKey), so it cannot store an SSH key on ${dn}; load that schema or keep the key on the host`);
    }
    const uidNumber = await pickUidNumber(session, account.uid, account.baseDn, account.uidNumberRange ?? DEFAULT_UID_RANGE);
    const attributes: Record<string, string[] | string> = {
      objectClass: ['inetOrgPerson', 'posixAccount', ...(account.sshPublicKey ? ['ldapPublicKey'] : [])],
      uid: account.uid,
      cn: account.uid,
      sn: 'stint',
      uidNumber: String(uidNumber),
      gidNumber: String(account.gidNumber ?? uidNumber),
      homeDirectory: `/home/${account.uid}`,
      loginShell: '/bin/bash',
      ...(account.description ? { description: account.description } : {}),
      ...(account.sshPublicKey ? { sshPublicKey: account.sshPublicKey } : {}),
    };
    const operation = { action: 'add', target: dn, access: `write access to the entry and children of ${account.baseDn}`, missing: `its parent ${account.baseDn} must exist: create it, or fix base_distinguished_name` };
    await session.run(operation, async (client) => {
      try {
        await client.add(dn, attributes);
      } catch (error) {
        // A concurrent or earlier attempt made it: the same account (the uid is the request's own).
        if (!(error instanceof AlreadyExistsError)) throw error;
      }
    });
  }
  if (account.password) await setPassword(session, dn, account.password);
  return { dn };
}

export async function deleteAccountEntry(session: LdapSession, dn: string): Promise<void> {
  await session.run({ action: 'delete', target: dn, access: 'write access to the entry and its parent' }, async (client) => {
    try {
      await client.del(dn);
    } catch (error) {
      if (!(error instanceof NoSuchObjectError)) throw error;
    }
  });
}

/** Creates `uid=<uid>,<baseDn>` unless it exists; sets `password` when given. Returns its DN. */
export async function createDirectoryAccount(ldap: LdapConnectionConfig, account: DirectoryAccount, options: LdapCallOptions = {}): Promise<{ dn: string }> {
  return withLdap(ldap, options, (session) => createAccountEntry(session, account));
}

/** Deletes the entry; an absent one is success. */
export async function deleteDirectoryAccount(ldap: LdapConnectionConfig, dn: string, options: LdapCallOptions = {}): Promise<void> {
  return withLdap(ldap, options, (session) => deleteAccountEntry(session, dn));
}

export async function directoryAccountExists(ldap: LdapConnectionConfig, dn: string, options: LdapCallOptions = {}): Promise<boolean> {
  return withLdap(ldap, options, (session) => entryExists(session, dn));
}

/** Whether the directory can hold `sshPublicKey` (the openssh-lpk schema is loaded). */
export async function directorySupportsSshKeys(ldap: LdapConnectionConfig, options: LdapCallOptions = {}): Promise<boolean> {
  return withLdap(ldap, options, supportsSshKeys);
}
