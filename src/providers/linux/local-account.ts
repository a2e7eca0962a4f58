/**
 * Ephemeral local accounts (`stint-<short id>`): created with a home and bash, no usable password (`*`: not a
 * locked `!`, which sshd without PAM would also hold against key logins), the account expiry a day after the
 * grant's as a second lock, and `stint request <id>` in the comment field so the orphan sweep can find it.
 */
import { randomBytes } from 'node:crypto';
import type { HostSession } from './ssh-session.ts';

/** useradd: the user already exists (a retried grant racing the first). userdel: the user does not exist. */
const USERADD_EXISTS = 9;
const USERDEL_ABSENT = 6;
const USERDEL_HOME_LEFT = 12;

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
}

export async function passwdEntry(session: HostSession, name: string): Promise<PasswdEntry | undefined> {
  const result = await session.run(['getent', 'passwd', name], { okCodes: [0, 2], unprivileged: true });
  if (result.code !== 0) return undefined;
  const [, , uid, gid, comment, home] = result.stdout.trim().split(':');
  return { name, uid: Number(uid), gid: Number(gid), comment: comment ?? '', home: home ?? '' };
}

/** `YYYY-MM-DD` a day after `expiresAt` (UTC): useradd's expiry has day precision in the host's zone. */
function expiryDay(expiresAt: Date): string {
  return new Date(expiresAt.getTime() + 86_400_000).toISOString().slice(0, 10);
}

/** The comment field: only characters a passwd line can hold and a reader can trust. */
export function accountComment(requestId: string): string {
  return `stint request ${requestId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80)}`;
}

export async function createLocalAccount(session: HostSession, name: string, requestId: string, expiresAt: Date): Promise<void> {
  if (await passwdEntry(session, name)) return;
  await session.run(['useradd', '-m', '-s', '/bin/bash', '-p', '*', '-e', expiryDay(expiresAt), '-c', accountComment(requestId), name], { okCodes: [0, USERADD_EXISTS] });
}

export async function extendLocalAccount(session: HostSession, name: string, expiresAt: Date): Promise<void> {
  await session.run(['usermod', '-e', expiryDay(expiresAt), name]);
}

/** A fresh random password set with chpasswd over stdin (never in argv, where `ps` would show it). */
export async function setRandomPassword(session: HostSession, name: string): Promise<string> {
  const password = randomBytes(24).toString('base64url');
  await session.run(['chpasswd'], { stdin: `${name}:${password}\n` });
  return password;
}

export async function removeLocalAccount(session: HostSession, name: string): Promise<void> {
  // -f: the account goes even if a process survived the kill a moment ago. 12: the account is gone but its
  // home could not be removed entirely (e.g. a mount inside): the access has ended, the leftovers are files.
  await session.run(['userdel', '-r', '-f', name], { okCodes: [0, USERDEL_ABSENT, USERDEL_HOME_LEFT] });
}

/**
 * Appends one public key to the account's authorized_keys, written as the user itself (runuser), so a symlink
 * the user planted in their home cannot make root write anywhere else. The key travels on stdin. `restrict,pty`:
 * a terminal and commands, but no port, agent or X11 forwarding — a launched session is recorded by the gateway,
 * and a tunnel through it would not be.
 */
export async function authorizeKey(session: HostSession, entry: PasswdEntry, publicKey: string): Promise<void> {
  const script = 'umask 077 && mkdir -p "$1/.ssh" && chmod 700 "$1/.ssh" && cat >> "$1/.ssh/authorized_keys" && chmod 600 "$1/.ssh/authorized_keys"';
  await session.run(['runuser', '-u', entry.name, '--', 'sh', '-c', script, 'sh', entry.home], { stdin: `restrict,pty ${publicKey}\n` });
}

/** Names of accounts this provider made (`stint-*` with its comment), with the request id from the comment. */
export async function listLocalAccounts(session: HostSession): Promise<Array<{ name: string; requestId: string }>> {
  const result = await session.run(['getent', 'passwd'], { unprivileged: true });
  return result.stdout.split('\n').flatMap((line) => {
    const [name, , , , comment] = line.split(':');
    const match = /^stint request (\S+)$/.exec(comment ?? '');
    return name?.startsWith('stint-') && match ? [{ name, requestId: match[1]! }] : [];
  });
}
