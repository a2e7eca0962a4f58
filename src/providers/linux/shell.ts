/**
 * The one way a command line for the target host is built: every argument single-quoted (`'` as `'\''`), so
 * nothing a policy author or a requester wrote is ever read by the remote shell as syntax. Names are also
 * checked against strict patterns before they get here (defence in depth: a name that needs quoting is refused).
 */
import { StintError } from '../../domain/errors.ts';

/** A POSIX-portable user or group name (no leading dash, at most 32 characters: useradd's limit). */
export const ACCOUNT_NAME = /^[a-z_][a-z0-9_.-]{0,31}$/;

/** A role: a file name under /etc/stint/roles (no slash, no leading dot). */
export const ROLE_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/** `'text'`: safe for any POSIX shell. NUL cannot be passed in an argument at all, so it is refused. */
export function quote(arg: string): string {
  if (arg.includes('\0')) throw new StintError('INTERNAL', 'linux provider: an argument contains NUL');
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** A command line of quoted arguments. */
export function commandLine(args: readonly string[]): string {
  return args.map(quote).join(' ');
}

/** Throws POLICY_INVALID when `name` is not a plain account name (`what` says whose). */
export function assertAccountName(name: string, what: string): string {
  if (!ACCOUNT_NAME.test(name)) {
    throw new StintError('POLICY_INVALID', `${what} "${name.slice(0, 40)}" is not a plain Linux account name ([a-z_][a-z0-9_.-]*, at most 32 characters)`);
  }
  return name;
}
