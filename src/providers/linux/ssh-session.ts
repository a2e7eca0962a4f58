/**
 * One SSH connection per provider operation, as the provisioning account, with the host key pinned (fail closed)
 * and a timeout on the connection and on every command. Commands are argument lists, quoted by `shell.ts`; with
 * `sudo: true` each runs through `sudo -n` (never a password prompt that would hang); exit codes, sudo refusals
 * and retries are read by `run-command.ts`.
 */
import { Client } from 'ssh2';
import { StintError } from '../../domain/errors.ts';
import { resolveSecret } from '../secrets.ts';
import { blobType, fingerprint, isPinned, loadKnownHosts, type PinnedKey } from './known-hosts.ts';
import type { LinuxConfig } from './linux-config.ts';
import { runCommand, type CommandResult } from './run-command.ts';
import { commandLine } from './shell.ts';

export type { CommandResult };

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

  // A connection that drops later still emits 'error': without a listener that would end the process.
  client.on('error', () => undefined);
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

  const runLine = (line: string, shown: string, options: RunOptions = {}) => runCommand((full) => exec(full, options), { line, shown, where, sudo: config.sudo && !options.unprivileged, okCodes: options.okCodes ?? [0] });

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
