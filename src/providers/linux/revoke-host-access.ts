/**
 * Ending a linux grant, following its handle (idempotent: what is already gone is success). The order closes
 * the doors before emptying the room: the sudoers entry goes first (no new root shell), the ephemeral account
 * is expired (no new login), then every process and sudo shell of the account is killed and the account deleted.
 */
import type { DirectoryTarget } from './directory.ts';
import { killProcessesHoldingGroup, killSudoShells, killUserProcesses } from './end-sessions.ts';
import { groupId, isMember, removeFromGroup, removeGroupMarker } from './group-membership.ts';
import type { LinuxHandle } from './linux-handle.ts';
import { passwdEntry, removeLocalAccount } from './local-account.ts';
import type { HostSession } from './ssh-session.ts';
import { removeSudoers, sudoersExists } from './sudoers.ts';

export async function revokeHostAccess(session: HostSession, handle: LinuxHandle, stillNeeded: boolean, directory: DirectoryTarget | undefined): Promise<void> {
  const elevation = handle.elevation;
  // A sudoers file is the grant's own; another open request of the person has its own file.
  const sudoersGone = elevation && elevation.method !== 'group' ? removeSudoers(session, elevation.file) : Promise.resolve();

  if (handle.ephemeral === null) {
    await sudoersGone;
    // Elevation of the person's own account: their sessions stay; only what the elevation gave them ends.
    if (elevation?.method === 'group') await removeGroupMarker(session, handle.shortId);
    if (stillNeeded) return;
    if (elevation?.method === 'group') {
      if (elevation.preexisting) return;
      await removeFromGroup(session, handle.account, elevation.group);
      const gid = await groupId(session, elevation.group);
      if (gid !== undefined) await killProcessesHoldingGroup(session, handle.account, gid);
    } else {
      await killSudoShells(session, handle.account);
    }
    return;
  }

  // Each command is a round trip (a few hundred ms on a busy host), so independent ones share one: the doors close
  // together (sudoers entry, account expiry), then every process and sudo shell is killed together, then the account
  // goes. The order between the stages is what matters: nothing is killed before no new session can start.
  const local = handle.ephemeral === 'local';
  const [entry] = await Promise.all([
    local ? passwdEntry(session, handle.account) : Promise.resolve(undefined),
    local ? session.run(['usermod', '-e', '1', handle.account], { okCodes: [0, USERMOD_NO_SUCH_USER] }) : Promise.resolve(),
    elevation?.method === 'group' ? removeGroupMarker(session, handle.shortId) : Promise.resolve(),
    sudoersGone,
  ]);
  await Promise.all([killSudoShells(session, handle.account), killUserProcesses(session, handle.account)]);
  if (entry) {
    await removeLocalAccount(session, handle.account);
    // Anything that started between the kill and the deletion still runs under the bare uid.
    await session.run(['pkill', '-KILL', '-U', String(entry.uid)], { okCodes: [0, 1] });
  }
  // userdel takes a local account out of its groups; a directory account's local membership goes by hand.
  if (elevation?.method === 'group' && handle.ephemeral === 'domain') await removeFromGroup(session, handle.account, elevation.group);
  if (handle.ephemeral === 'domain' && handle.dn !== undefined && directory) {
    await directory.remove(handle.dn);
  }
}

/** usermod's exit status for an account that does not exist (already removed: nothing to expire). */
const USERMOD_NO_SUCH_USER = 6;

export async function checkHostAccess(session: HostSession, handle: LinuxHandle, directory: DirectoryTarget | undefined): Promise<'present' | 'absent'> {
  if (handle.ephemeral === 'local' && (await passwdEntry(session, handle.account))) return 'present';
  if (handle.ephemeral === 'domain' && handle.dn !== undefined && directory) {
    if (await directory.exists(handle.dn)) return 'present';
  }
  const elevation = handle.elevation;
  if (elevation?.method === 'group') {
    if (handle.ephemeral === null && (await isMember(session, handle.account, elevation.group))) return 'present';
  } else if (elevation && (await sudoersExists(session, elevation.file))) {
    return 'present';
  }
  return 'absent';
}
