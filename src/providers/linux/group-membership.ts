/**
 * Elevation by group: the account joins a group (`gpasswd -a`) and leaves it on revoke (`gpasswd -d`), unless it
 * was a member before Stint (`preexisting`: never removed) or another open request still needs it.
 *
 * Neither a retried grant nor a second request of the same person may mistake Stint's own addition for a
 * preexisting membership (it would then never be removed), so the intent is written first — a marker file per
 * grant under /var/lib/stint/grants holding `<account> <group>` — and the membership added after: a membership
 * with any grant's marker is Stint's. Each revoke removes its own marker.
 */
import { StintError } from '../../domain/errors.ts';
import type { HostSession } from './ssh-session.ts';

/** gpasswd -d: the user is not a member (already removed). */
const GPASSWD_NOT_MEMBER = 3;

export async function groupsOf(session: HostSession, account: string): Promise<string[] | undefined> {
  const result = await session.run(['id', '-nG', '--', account], { okCodes: [0, 1], unprivileged: true });
  return result.code === 0 ? result.stdout.trim().split(/\s+/) : undefined;
}

export async function groupId(session: HostSession, group: string): Promise<number | undefined> {
  const result = await session.run(['getent', 'group', group], { okCodes: [0, 2], unprivileged: true });
  return result.code === 0 ? Number(result.stdout.split(':')[2]) : undefined;
}

const MARKER_DIR = '/var/lib/stint/grants';

/** Adds `account` to `group`; answers whether it was already a member before Stint (then nothing changed). */
export async function addToGroup(session: HostSession, account: string, group: string, shortId: string): Promise<{ preexisting: boolean }> {
  if ((await groupId(session, group)) === undefined) {
    throw new StintError('POLICY_INVALID', `linux provider: there is no group ${group} on the host; create it or fix jit.elevation_string`);
  }
  const groups = await groupsOf(session, account);
  if (!groups) throw new StintError('POLICY_INVALID', `linux provider: there is no account ${account} on the host; check accounts.linux in the policy`);
  const line = `${account} ${group}`;
  // grep: 1 = no marker holds the line, 2 = no marker directory yet.
  const stints = await session.run(['grep', '-rlxF', '--', line, MARKER_DIR], { okCodes: [0, 1, 2] });
  if (groups.includes(group) && stints.stdout.trim() === '') return { preexisting: true };
  await session.run(['mkdir', '-p', '-m', '0700', MARKER_DIR]);
  await session.run(['tee', '--', `${MARKER_DIR}/${shortId}`], { stdin: `${line}\n` });
  await session.run(['gpasswd', '-a', account, group]);
  return { preexisting: false };
}

export async function removeFromGroup(session: HostSession, account: string, group: string): Promise<void> {
  await session.run(['gpasswd', '-d', account, group], { okCodes: [0, GPASSWD_NOT_MEMBER] });
}

export async function removeGroupMarker(session: HostSession, shortId: string): Promise<void> {
  await session.run(['rm', '-f', '--', `${MARKER_DIR}/${shortId}`]);
}

export async function isMember(session: HostSession, account: string, group: string): Promise<boolean> {
  return (await groupsOf(session, account))?.includes(group) ?? false;
}
