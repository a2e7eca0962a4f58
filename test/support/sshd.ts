/**
 * A throw-away OpenSSH server for the linux provider's tests: `/usr/sbin/sshd -D -e` with its own sshd_config,
 * its own ed25519 host key and PidFile in a temp dir, on a free 127.0.0.1 port. Root may log in with a key the
 * harness generates (the provisioning account); passwords are allowed too (the delivered-credential test).
 * `UsePAM no`: sshd checks /etc/shadow itself, so no PAM stack of this machine is involved. Needs root.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './test-redis.ts';

const run = promisify(execFile);

export interface TestSshd {
  host: string;
  port: number;
  /** `[127.0.0.1]:port ssh-ed25519 AAAA…`: the line a linux resource pins in `knownHosts`. */
  knownHostsLine: string;
  /** The host key's base64 blob (second field of the known_hosts line). */
  hostKeyBlob: string;
  /** Root's private key (OpenSSH format), for `privateKey: file:…`. */
  privateKeyPath: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startSshd(): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'stint-sshd-'));
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'root_ed25519');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stint-test-host', '-f', hostKey]);
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stint-test-provisioner', '-f', clientKey]);
  const authorizedKeys = join(dir, 'authorized_keys_root');
  writeFileSync(authorizedKeys, readFileSync(`${clientKey}.pub`), { mode: 0o600 });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    'UsePAM no',
    'PasswordAuthentication yes',
    'PubkeyAuthentication yes',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    // Root's key lives in the temp dir, never in /root/.ssh; everyone else uses their own home.
    `Match User root`,
    `  AuthorizedKeysFile ${authorizedKeys}`,
    // Debian's bash sources ~/.bashrc for every command sshd runs; this machine's /root/.bashrc (pyenv set-up)
    // costs ~0.7 s each, several times per grant. The provider's commands need nothing from root's shell files.
    `  SetEnv HOME=${dir}`,
    'Match all',
    'AuthorizedKeysFile .ssh/authorized_keys',
    // The temp dir is under /tmp (mode 1777): sshd would refuse root's key file otherwise.
    'StrictModes no',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
  const configPath = join(dir, 'sshd_config');
  writeFileSync(configPath, config);

  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  await waitForPort(port, () => log, child);

  const [type, blob] = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(/\s+/);
  return {
    host: '127.0.0.1',
    port,
    knownHostsLine: `[127.0.0.1]:${port} ${type} ${blob}`,
    hostKeyBlob: blob!,
    privateKeyPath: clientKey,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, log: () => string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited (${child.exitCode}): ${log()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`sshd did not listen on ${port} within 10 s: ${log()}`);
}
