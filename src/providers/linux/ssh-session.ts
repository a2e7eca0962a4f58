/**
 * One SSH connection per provider operation, as the provisioning account, with the host key pinned (fail closed)
 * and a timeout on the connection and on every command. Commands are argument lists, quoted by `shell.ts`; with
 * `sudo: true` each runs through `sudo -n` (never a password prompt that would hang). shadow-utils refuse to work
 * while another of them holds /etc/passwd's lock ("cannot lock /etc/passwd; try again later"): such commands are
 * retried with a capped backoff.
 */
import { Client } from 'ssh2';
import { StintError } from '../../domain/errors.ts';
import { resolveSecret } from '../secrets.ts';
import { blobType, fingerprint, isPinned, loadKnownHosts, type PinnedKey } from './known-hosts.ts';
import type { LinuxConfig } from './linux-config.ts';
import { commandLine } from './shell.ts';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Sent on stdin and never on the command line (passwords, file contents). */
  stdin?: string;
  /** Exit codes that are not failures (e.g. 1 from `pkill` when nothing matched). @defaultValue [0] */
  okCodes?: number[];
  /** Run without `sudo -n` even when the config asks for it (the provisioning account's own commands). */
  unprivileged?: boolean;
}

export interface HostSession {
  /** Runs `args` (quoted) as root; throws UNAVAILABLE naming the command when its exit code is not OK. */
  run(args: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** Same, with a trusted raw shell fragment (only constant text from this provider, e.g. a glob). */
  runRaw(line: string, options?: RunOptions): Promise<CommandResult>;
  readonly keys: PinnedKey[];
}

const LOCK_RETRIES = 6;
/** sudo's own refusals (not its warnings, e.g. "unable to resolve host", which leave the command running). */
const SUDO_REFUSED = /^sudo: (a password is required|a terminal is required|sorry|.*not in the sudoers|.*not allowed|.*command not found)/m;
const LOCK_BUSY = /cannot lock|try again later|unable to lock/i;

export interface SessionSecrets {
  env: NodeJS.ProcessEnv;
}

export async function withHost<T>(config: LinuxConfig, secrets: SessionSecrets, work: (session: HostSession) => Promise<T>): Promise<T> {
  const keys = await loadKnownHosts(config.knownHosts);
  const privateKey = await resolveSecret(config.privateKey, secrets.env);
  const passphrase = config.passphrase ? await resolveSecret(config.passphrase, secrets.env) : undefined;
  const where = `${config.host}:${config.port}`;
  const client = new Client();
  let refusedKey: string | undefined;

  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', (error: Error & { level?: string }) => {
      if (refusedKey) reject(new StintError('POLICY_INVALID', refusedKey));
      else if (error.level === 'client-authentication') reject(new StintError('POLICY_INVALID', `linux provider: ${config.user}@${where} refused the provisioning key; check privateKey and the account's authorized_keys`));
      else reject(new StintError('UNAVAILABLE', `linux provider: cannot reach ${where} over SSH (${error.message}); check the host and port`));
    });
    client.connect({
      host: config.host,
      port: config.port,
      username: config.user,
      privateKey,
      ...(passphrase !== undefined && { passphrase }),
      readyTimeout: config.timeoutMs,
      hostVerifier: (key: Buffer) => {
        if (isPinned(keys, key)) return true;
        refusedKey = `linux provider: the host key of ${where} is not pinned in knownHosts (offered ${blobType(key)} ${fingerprint(key)}); refusing to connect. Verify the key on the host and add its known_hosts line`;
        return false;
      },
    });
  });

  const exec = (line: string, options: RunOptions): Promise<CommandResult> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new StintError('UNAVAILABLE', `linux provider: a command on ${where} did not finish within ${config.timeoutMs} ms`));
        client.end();
      }, config.timeoutMs);
      client.exec(line, (error, channel) => {
        if (error) {
          clearTimeout(timer);
          reject(new StintError('UNAVAILABLE', `linux provider: cannot run a command on ${where} (${error.message})`));
          return;
        }
        let stdout = '';
        let stderr = '';
        channel.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        channel.on('close', (code: number | null) => {
          clearTimeout(timer);
          resolve({ code: code ?? -1, stdout, stderr });
        });
        channel.end(options.stdin ?? '');
      });
    });

  const runLine = async (line: string, shown: string, options: RunOptions = {}): Promise<CommandResult> => {
    const full = config.sudo && !options.unprivileged ? `sudo -n -- ${line}` : line;
    for (let attempt = 0; ; attempt++) {
      const result = await exec(full, options);
      // sudo refusing a command exits 1 too, which some commands' OK codes include: never read that as an answer.
      const sudoRefused = full !== line && SUDO_REFUSED.test(result.stderr);
      if (!sudoRefused && (options.okCodes ?? [0]).includes(result.code)) return result;
      if (LOCK_BUSY.test(result.stderr) && attempt < LOCK_RETRIES) {
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt + Math.random() * 100));
        continue;
      }
      // stderr of these commands names users and files, never a secret (those travel on stdin only).
      const detail = result.stderr.trim().split('\n').slice(-3).join(' / ').slice(0, 400);
      throw new StintError('UNAVAILABLE', `linux provider: \`${shown}\` failed on ${where} (exit ${result.code}: ${detail || 'no output'})`, { exitCode: result.code });
    }
  };

  try {
    return await work({
      keys,
      run: (args, options) => runLine(commandLine(args), args.join(' '), options),
      runRaw: (line, options) => runLine(line, line, options),
    });
  } finally {
    client.end();
  }
}
