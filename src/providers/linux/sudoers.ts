/**
 * `/etc/sudoers.d/stint-<short id>`: one file per grant, written atomically. The text goes to a dot-file in the
 * same directory (sudo ignores names with a dot), is checked with `visudo -cf`, and only then renamed in place —
 * an entry visudo refuses never lands, so a bad spec cannot break sudo on the host.
 *
 * Roles: a host admin prepares `/etc/stint/roles/<role>` (sudoers lines with `{{user}}` where the account goes);
 * a grant instantiates it for the account into the grant's file. The policy names the role, the host owns what
 * it allows.
 */
import { StintError } from '../../domain/errors.ts';
import type { HostSession } from './ssh-session.ts';

export const SUDOERS_DIR = '/etc/sudoers.d';
export const ROLES_DIR = '/etc/stint/roles';
export const USER_PLACEHOLDER = '{{user}}';

export function sudoersPath(shortId: string): string {
  return `${SUDOERS_DIR}/stint-${shortId}`;
}

/** The first line: which request and account the file is for (read back by the orphan sweep). */
function header(requestId: string, account: string): string {
  return `# stint request ${requestId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80)} account ${account}: removed when the grant ends\n`;
}

export function sudoLine(account: string, spec: string): string {
  return `${account} ${spec}\n`;
}

/** The role file's lines with the account in place of every `{{user}}`; refused when the file is missing or has no placeholder. */
export async function roleLines(session: HostSession, role: string, account: string): Promise<string> {
  const path = `${ROLES_DIR}/${role}`;
  const read = await session.run(['cat', '--', path], { okCodes: [0, 1] });
  if (read.code !== 0) throw new StintError('POLICY_INVALID', `linux provider: role ${role} is not prepared on the host: create ${path} (sudoers lines with ${USER_PLACEHOLDER} for the account)`);
  if (!read.stdout.includes(USER_PLACEHOLDER)) throw new StintError('POLICY_INVALID', `linux provider: ${path} has no ${USER_PLACEHOLDER} placeholder: each line must say whom it is for`);
  const text = read.stdout.replaceAll(USER_PLACEHOLDER, account);
  return text.endsWith('\n') ? text : `${text}\n`;
}

export async function writeSudoers(session: HostSession, shortId: string, owner: { requestId: string; account: string }, body: string): Promise<string> {
  const path = sudoersPath(shortId);
  const staging = `${SUDOERS_DIR}/.stint-${shortId}.new`;
  await session.run(['tee', '--', staging], { stdin: header(owner.requestId, owner.account) + body });
  try {
    await session.run(['chmod', '0440', staging]);
    const checked = await session.run(['visudo', '-c', '-q', '-f', staging], { okCodes: [0, 1] });
    if (checked.code !== 0) {
      const why = (checked.stderr || checked.stdout).trim().replaceAll(staging, 'entry').split('\n').slice(0, 3).join(' / ').slice(0, 300);
      throw new StintError('POLICY_INVALID', `linux provider: visudo refused the sudoers entry (${why}); nothing was installed. Fix jit.elevation_string or the role file`);
    }
    await session.run(['mv', '-f', '--', staging, path]);
  } finally {
    await session.run(['rm', '-f', '--', staging]);
  }
  return path;
}

export async function sudoersExists(session: HostSession, path: string): Promise<boolean> {
  return (await session.run(['test', '-e', path], { okCodes: [0, 1] })).code === 0;
}

export async function removeSudoers(session: HostSession, path: string): Promise<void> {
  await session.run(['rm', '-f', '--', path]);
}

/** Request ids of the stint-* sudoers files on the host (from their header line), for the orphan sweep. */
export async function listSudoers(session: HostSession): Promise<Array<{ path: string; requestId: string; account: string }>> {
  const found = await session.runRaw(`grep -Hm1 '^# stint request ' ${SUDOERS_DIR}/stint-*`, { okCodes: [0, 1, 2] });
  return found.stdout.split('\n').flatMap((line) => {
    const match = /^(\/etc\/sudoers\.d\/stint-[0-9a-f]{16}):# stint request (\S+) account (\S+):/.exec(line);
    return match ? [{ path: match[1]!, requestId: match[2]!, account: match[3]! }] : [];
  });
}
