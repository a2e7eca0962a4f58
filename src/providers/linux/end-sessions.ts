/**
 * Ending access that is in use (DESIGN.md section 7): a revoked account's processes and SSH sessions, and the
 * root shells it opened with sudo (they run as root, so `pkill -u` misses them; sudo marks them and their
 * children with SUDO_USER in the environment, which only root can read in /proc/<pid>/environ).
 */
import type { HostSession } from './ssh-session.ts';
import { quote } from './shell.ts';

/** pkill: 1 = nothing matched, 2 = unknown user (already gone): both mean nothing is left to end. */
const PKILL_DONE = [0, 1, 2];

export async function killUserProcesses(session: HostSession, name: string): Promise<void> {
  // -u: effective uid (shells, sshd session children); -U: real uid (setuid programs they started). One round trip.
  await Promise.all([session.run(['pkill', '-KILL', '-u', name], { okCodes: PKILL_DONE }), session.run(['pkill', '-KILL', '-U', name], { okCodes: PKILL_DONE })]);
}

export async function killSudoShells(session: HostSession, name: string): Promise<void> {
  // The glob is expanded by the remote shell; grep -s skips processes that ended meanwhile (exit 2 then).
  const found = await session.runRaw(`grep -lzxs -- ${quote(`SUDO_USER=${name}`)} /proc/[0-9]*/environ`, { okCodes: [0, 1, 2] });
  const pids = found.stdout
    .split('\n')
    .map((path) => /^\/proc\/(\d+)\/environ$/.exec(path.trim())?.[1])
    .filter((pid): pid is string => pid !== undefined);
  if (pids.length > 0) await session.run(['kill', '-KILL', ...pids], { okCodes: [0, 1] });
}

/**
 * Processes of `name` that carry `gid` among their supplementary groups: a group removed from /etc/group still
 * lives in every process started while it was held, so ending the access means ending those processes.
 */
export async function killProcessesHoldingGroup(session: HostSession, name: string, gid: number): Promise<void> {
  const listed = await session.run(['ps', '-U', name, '-o', 'pid=,supgid='], { okCodes: [0, 1], unprivileged: true });
  const pids = listed.stdout.split('\n').flatMap((line) => {
    const [pid, groups] = line.trim().split(/\s+/);
    return pid && groups?.split(',').includes(String(gid)) ? [pid] : [];
  });
  if (pids.length > 0) await session.run(['kill', '-KILL', ...pids], { okCodes: [0, 1] });
}
