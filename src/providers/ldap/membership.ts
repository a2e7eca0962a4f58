/**
 * `mode: membership`: add the person's value (`accounts.ldap`: a DN, or a uid for memberUid) to the group, remove it
 * afterwards.
 *
 * Whether the person was a member before Stint (`preexisting`, then Stint never removes it) must survive a crash
 * between the modify and the caller saving the handle: a retried grant would otherwise see the value it just added
 * and call it preexisting, and it would never be removed. So every grant writes, in the same modify as the value
 * (one LDAP modify is atomic), a marker value `stint-grant <grantId> added|preexisting <requestId> <resourceId> <value>`
 * in the group's `description`; a retry reads its own marker back, and a second request for the same value inherits
 * the answer. The `added` markers are also what the orphan sweep lists (`listMemberships`).
 * Revoke deletes its marker and removes the value only when no other Stint marker for it remains. Races between
 * two modifies end in attributeOrValueExists / noSuchAttribute, which re-read and try again.
 */
import { createHash } from 'node:crypto';
import { Attribute, Change, NoSuchAttributeError, NoSuchObjectError, TypeOrValueExistsError, type Client } from 'ldapts';
import type { GrantHandleData, GrantTarget } from '../../core/ports.ts';
import { StintError } from '../../domain/errors.ts';
import type { MemberAttribute } from './ldap-config.ts';
import type { LdapSession } from './ldap-connection.ts';
import { formatMarker, parseMarker, type Marker } from './grant-marker.ts';

export interface MembershipHandle extends GrantHandleData {
  mode: 'membership';
  group: string;
  attribute: MemberAttribute;
  value: string;
  grantId: string;
  preexisting: boolean;
  resourceId: string;
}

const ROUNDS = 5;
const NO_SUCH_OBJECT = 32;

/** Deterministic from the request scope, so a retried grant finds its marker. */
export function grantIdOf(target: Pick<GrantTarget, 'requestId' | 'resourceId'>): string {
  return createHash('sha256').update(`${target.requestId}\0${target.resourceId}`).digest('hex').slice(0, 16);
}

/** DN values compare without case and spaces around separators; uids exactly. */
function sameValue(attribute: MemberAttribute, a: string, b: string): boolean {
  if (attribute === 'memberUid') return a === b;
  const norm = (dn: string) => dn.toLowerCase().replace(/\s*([,=+])\s*/g, '$1');
  return norm(a) === norm(b);
}

const modifyOperation = (group: string, attribute: MemberAttribute) => ({
  action: 'modify',
  target: group,
  access: `write access to its ${attribute} and description attributes`,
  missing: 'fix `group` in the resource',
});

const readOperation = (group: string, attribute: MemberAttribute) => ({
  action: 'read',
  target: group,
  access: `read access to its ${attribute} and description attributes`,
  missing: 'fix `group` in the resource',
});

async function markersOf(client: Client, group: string): Promise<Marker[]> {
  const found = await client.search(group, { scope: 'base', attributes: ['description'] });
  const raw = found.searchEntries[0]?.description;
  return (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map(String).flatMap(parseMarker);
}

async function readGroup(session: LdapSession, group: string, attribute: MemberAttribute, value: string): Promise<{ member: boolean; markers: Marker[] }> {
  return session.run(readOperation(group, attribute), async (client) => {
    const member = await isMember(client, group, attribute, value);
    const markers = (await markersOf(client, group)).filter((marker) => sameValue(attribute, marker.value, value));
    return { member, markers };
  });
}

/** The server's own matching rule decides (DN normalisation, case), through a compare. */
async function isMember(client: Client, group: string, attribute: MemberAttribute, value: string): Promise<boolean> {
  try {
    return await client.compare(group, attribute, value);
  } catch (error) {
    if (error instanceof NoSuchAttributeError) return false;
    throw error;
  }
}

/** True when the modify applied; false when it failed with `race` (nothing applied: a modify is atomic). */
async function modifyUnless(client: Client, dn: string, changes: Change[], race: new () => Error): Promise<boolean> {
  try {
    await client.modify(dn, changes);
    return true;
  } catch (error) {
    if (error instanceof race) return false;
    throw error;
  }
}

const change = (operation: 'add' | 'delete', type: string, value: string) => new Change({ operation, modification: new Attribute({ type, values: [value] }) });

export async function grantMembership(session: LdapSession, group: string, attribute: MemberAttribute, value: string, target: GrantTarget): Promise<MembershipHandle> {
  const grantId = grantIdOf(target);
  const handle = (preexisting: boolean): MembershipHandle => ({ mode: 'membership', group, attribute, value, grantId, preexisting, resourceId: target.resourceId });
  for (let round = 0; round < ROUNDS; round++) {
    const { member, markers } = await readGroup(session, group, attribute, value);
    const own = markers.find((marker) => marker.grantId === grantId);
    if (own) return handle(own.preexisting);
    // Another Stint request's membership is Stint's, not preexisting: inherit what its marker recorded.
    const preexisting = member && (markers.length === 0 || markers.some((marker) => marker.preexisting));
    const marker = formatMarker({ grantId, preexisting, requestId: target.requestId, resourceId: target.resourceId, value });
    const changes = [change('add', 'description', marker), ...(member ? [] : [change('add', attribute, value)])];
    // attributeOrValueExists: another grant of the same value won the race; read again.
    if (await session.run(modifyOperation(group, attribute), (client) => modifyUnless(client, group, changes, TypeOrValueExistsError))) return handle(preexisting);
  }
  throw new StintError('UNAVAILABLE', `ldap: ${group} kept changing while Stint added ${value}; try again`);
}

export async function revokeMembership(session: LdapSession, handle: MembershipHandle, stillNeeded: boolean): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    let state: { member: boolean; markers: Marker[] };
    try {
      state = await readGroup(session, handle.group, handle.attribute, handle.value);
    } catch (error) {
      // The group is gone, and the membership with it.
      if (error instanceof StintError && error.details?.['ldapCode'] === NO_SUCH_OBJECT) return;
      throw error;
    }
    const own = state.markers.filter((marker) => marker.grantId === handle.grantId);
    const others = state.markers.length - own.length;
    const removeValue = state.member && !handle.preexisting && !stillNeeded && others === 0;
    const changes = [...own.map((marker) => change('delete', 'description', marker.raw)), ...(removeValue ? [change('delete', handle.attribute, handle.value)] : [])];
    if (changes.length === 0) return;
    // noSuchAttribute: the value or marker went meanwhile; read again.
    if (await session.run(modifyOperation(handle.group, handle.attribute), (client) => modifyUnless(client, handle.group, changes, NoSuchAttributeError))) return;
  }
  throw new StintError('UNAVAILABLE', `ldap: ${handle.group} kept changing while Stint removed ${handle.value}; the revoke is retried`);
}

/** Whether the value is in the group (for a preexisting handle: access Stint does not own and never removes). */
export async function checkMembership(session: LdapSession, handle: MembershipHandle): Promise<'present' | 'absent'> {
  const operation = { action: 'read', target: handle.group, access: `read access to its ${handle.attribute} attribute` };
  return session.run(operation, async (client) => {
    try {
      return (await isMember(client, handle.group, handle.attribute, handle.value)) ? 'present' : 'absent';
    } catch (error) {
      if (error instanceof NoSuchObjectError) return 'absent';
      throw error;
    }
  });
}

/** The values Stint added to the group (its `added` markers), as handles, for the orphan sweep. */
export async function listMemberships(session: LdapSession, group: string, attribute: MemberAttribute): Promise<Array<{ requestId: string; handle: MembershipHandle }>> {
  const markers = await session.run(readOperation(group, attribute), (client) => markersOf(client, group));
  return markers
    .filter((marker) => !marker.preexisting)
    .map((marker) => ({
      requestId: marker.requestId,
      handle: { mode: 'membership', group, attribute, value: marker.value, grantId: marker.grantId, preexisting: false, resourceId: marker.resourceId },
    }));
}
