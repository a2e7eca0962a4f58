/**
 * `mode: ephemeral`: a directory account `uid=stint-<id>,<base_distinguished_name>` per request scope (the id derived
 * from requestId and resourceId, so a retried grant finds it), optionally added to `group`. It has no password until
 * the requester reveals a credential; revoke removes it from the group and deletes it. The account is the request's
 * alone, so reference counting never applies.
 */
import { randomBytes } from 'node:crypto';
import { Attribute, Change, NoSuchAttributeError, NoSuchObjectError, TypeOrValueExistsError } from 'ldapts';
import type { GrantHandleData, GrantTarget, MintedCredential } from '../../core/ports.ts';
import { StintError } from '../../domain/errors.ts';
import type { LdapConfig, MemberAttribute } from './ldap-config.ts';
import type { LdapSession } from './ldap-connection.ts';
import { createAccountEntry, deleteAccountEntry, entryExists, setPassword } from './directory-accounts.ts';
import { grantIdOf } from './membership.ts';

export interface EphemeralHandle extends GrantHandleData {
  mode: 'ephemeral';
  uid: string;
  dn: string;
  /** The group the account was added to, and how it is listed there. */
  group?: string;
  attribute?: MemberAttribute;
  expiresAt: string;
  resourceId: string;
}

export function ephemeralUid(target: Pick<GrantTarget, 'requestId' | 'resourceId'>): string {
  return `stint-${grantIdOf(target).slice(0, 12)}`;
}

type GroupEdit = 'add' | 'delete';

/** The entry's description, also the orphan sweep's marker (ids URI-encoded so the commas stay separators). */
const DESCRIPTION_PREFIX = 'stint ephemeral account: ';
const DESCRIPTION = /^stint ephemeral account: request ([^\s,]+), resource ([^\s,]+), for /;

async function editGroup(session: LdapSession, handle: EphemeralHandle, operation: GroupEdit): Promise<void> {
  if (!handle.group || !handle.attribute) return;
  const { group, attribute } = handle;
  const value = attribute === 'memberUid' ? handle.uid : handle.dn;
  const refusal = { action: 'modify', target: group, access: `write access to its ${attribute} attribute`, missing: 'fix `group` in the resource' };
  await session.run(refusal, async (client) => {
    try {
      await client.modify(group, new Change({ operation, modification: new Attribute({ type: attribute, values: [value] }) }));
    } catch (error) {
      // Already there (a retried grant) or already gone (a retried revoke, or a deleted group on revoke).
      if (error instanceof TypeOrValueExistsError || error instanceof NoSuchAttributeError) return;
      if (operation === 'delete' && error instanceof NoSuchObjectError) return;
      throw error;
    }
  });
}

export async function grantEphemeral(session: LdapSession, config: LdapConfig, target: GrantTarget): Promise<EphemeralHandle> {
  const uid = ephemeralUid(target);
  const { dn } = await createAccountEntry(session, {
    uid,
    baseDn: config.base_distinguished_name!,
    ...(config.uidNumberRange ? { uidNumberRange: config.uidNumberRange } : {}),
    ...(config.gidNumber ? { gidNumber: config.gidNumber } : {}),
    description: `${DESCRIPTION_PREFIX}request ${encodeURIComponent(target.requestId)}, resource ${encodeURIComponent(target.resourceId)}, for ${target.principalId}`,
  });
  const handle: EphemeralHandle = {
    mode: 'ephemeral',
    uid,
    dn,
    ...(config.group ? { group: config.group, attribute: config.memberAttribute } : {}),
    expiresAt: target.expiresAt.toISOString(),
    resourceId: target.resourceId,
  };
  await editGroup(session, handle, 'add');
  return handle;
}

/** Group value first: if the delete then fails, the retried revoke still finds the entry and finishes. */
export async function revokeEphemeral(session: LdapSession, handle: EphemeralHandle): Promise<void> {
  await editGroup(session, handle, 'delete');
  await deleteAccountEntry(session, handle.dn);
}

export async function checkEphemeral(session: LdapSession, handle: EphemeralHandle): Promise<'present' | 'absent'> {
  return (await entryExists(session, handle.dn)) ? 'present' : 'absent';
}

/** A fresh random password (any earlier one stops working), set through Password Modify so the server hashes it. */
export async function mintEphemeralCredential(session: LdapSession, handle: EphemeralHandle): Promise<MintedCredential> {
  if (!(await entryExists(session, handle.dn))) {
    throw new StintError('NOT_FOUND', `ephemeral account ${handle.uid} no longer exists (already revoked); request access again`);
  }
  const password = randomBytes(24).toString('base64url');
  await setPassword(session, handle.dn, password);
  return { username: handle.uid, password, expiresAt: new Date(handle.expiresAt), hint: `bind as ${handle.dn} on ${session.url}` };
}

/** The accounts Stint made under the base DN (uid stint-…, its description), as handles, for the orphan sweep. */
export async function listEphemeral(session: LdapSession, config: LdapConfig): Promise<Array<{ requestId: string; handle: EphemeralHandle }>> {
  const base = config.base_distinguished_name!;
  const filter = `(&(objectClass=posixAccount)(uid=stint-*)(description=${DESCRIPTION_PREFIX}*))`; // the prefix has no filter metacharacters
  const found = await session.run({ action: 'search', target: base, access: 'read access to its entries', missing: 'fix base_distinguished_name in the resource' }, (client) =>
    client.search(base, { scope: 'one', filter, attributes: ['uid', 'description'] }),
  );
  return found.searchEntries.flatMap((entry) => {
    const descriptions = [entry['description'] ?? []].flat().map(String);
    const match = descriptions.map((text) => DESCRIPTION.exec(text)).find(Boolean);
    const uid = [entry['uid'] ?? []].flat().map(String)[0];
    if (!match || !uid) return [];
    let requestId: string;
    let resourceId: string;
    try {
      [requestId, resourceId] = [decodeURIComponent(match[1]!), decodeURIComponent(match[2]!)];
    } catch {
      return [];
    }
    const handle: EphemeralHandle = {
      mode: 'ephemeral',
      uid,
      dn: entry.dn,
      ...(config.group ? { group: config.group, attribute: config.memberAttribute } : {}),
      // Unknown here, and unused by revoke: the sweep only removes.
      expiresAt: new Date(0).toISOString(),
      resourceId,
    };
    return [{ requestId, handle }];
  });
}
