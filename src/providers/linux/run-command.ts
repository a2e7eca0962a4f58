/**
 * How one remote command's outcome is read. shadow-utils refuse to work while another of them holds the
 * /etc/passwd lock ("cannot lock /etc/passwd; try again later"), which concurrent grants on one host cause: such
 * a command is retried with a capped, jittered backoff. sudo refusing a command exits 1, which some commands'
 * OK codes include, so a refusal is never read as the command's answer.
 */
import { StintError } from '../../domain/errors.ts';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CommandSpec {
  /** The quoted command line. */
  line: string;
  /** How the command is named in an error (no secrets: those travel on stdin). */
  shown: string;
  /** `host:port`, for messages. */
  where: string;
  /** Prefix `sudo -n --`. */
  sudo: boolean;
  okCodes: number[];
}

export const LOCK_RETRIES = 6;
const LOCK_BUSY = /cannot lock|try again later|unable to lock/i;
/** sudo's own refusals (not its warnings, e.g. "unable to resolve host", which leave the command running). */
const SUDO_REFUSED = /^sudo: (a password is required|a terminal is required|sorry|.*not in the sudoers|.*not allowed|.*command not found)/m;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runCommand(exec: (line: string) => Promise<CommandResult>, spec: CommandSpec, sleep: (ms: number) => Promise<unknown> = pause): Promise<CommandResult> {
  const full = spec.sudo ? `sudo -n -- ${spec.line}` : spec.line;
  for (let attempt = 0; ; attempt++) {
    const result = await exec(full);
    const sudoRefused = spec.sudo && SUDO_REFUSED.test(result.stderr);
    if (!sudoRefused && spec.okCodes.includes(result.code)) return result;
    if (!sudoRefused && LOCK_BUSY.test(result.stderr) && attempt < LOCK_RETRIES) {
      await sleep(100 * 2 ** attempt + Math.random() * 100);
      continue;
    }
    const detail = result.stderr.trim().split('\n').slice(-3).join(' / ').slice(0, 400);
    throw new StintError('UNAVAILABLE', `linux provider: \`${spec.shown}\` failed on ${spec.where} (exit ${result.code}: ${detail || 'no output'})`, { exitCode: result.code });
  }
}
