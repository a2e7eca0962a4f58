/**
 * Shared setup of the linux provider tests: a throw-away sshd (test/support/sshd.ts), a provider whose
 * provisioning account is root over the harness key, resource configs, logins as the grantee (ssh2 Client), and
 * the cleanup of every local user and file the tests made on this machine.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Client, type ClientChannel } from 'ssh2';
import type { GrantTarget, Provider } from '../../../src/core/ports.ts';
import { createLinuxProvider } from '../../../src/providers/linux/linux-provider.ts';
import { ephemeralName, shortGrantId } from '../../../src/providers/linux/linux-handle.ts';
import { startSshd, type TestSshd } from '../../support/sshd.ts';

export interface LinuxTarget {
  sshd: TestSshd;
  provider: Provider;
  config(jit: Record<string, unknown>, extra?: Record<string, unknown>): Record<string, unknown>;
  target(extra?: Partial<GrantTarget>): GrantTarget;
  /** A local user made by the test itself (a person's own account), removed at close. */
  createUser(prefix: string): string;
  createGroup(prefix: string): string;
  close(): Promise<void>;
}

export const inOneHour = () => new Date(Date.now() + 3600_000);

export function userExists(name: string): boolean {
  try {
    execFileSync('getent', ['passwd', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function groupsOf(name: string): string[] {
  return execFileSync('id', ['-nG', name], { encoding: 'utf8' }).trim().split(/\s+/);
}

export async function openLinuxTarget(): Promise<LinuxTarget> {
  const sshd = await startSshd();
  const users: string[] = [];
  const groups: string[] = [];
  const requestIds: string[] = [];
  const provider = createLinuxProvider({ env: {} });
  return {
    sshd,
    provider,
    config: (jit, extra = {}) => ({
      type: 'linux',
      host: sshd.host,
      port: sshd.port,
      knownHosts: sshd.knownHostsLine,
      user: 'root',
      privateKey: `file:${sshd.privateKeyPath}`,
      timeoutMs: 20_000,
      jit,
      ...extra,
    }),
    target: (extra = {}) => {
      const requestId = `01TEST${randomBytes(10).toString('hex').toUpperCase()}`;
      requestIds.push(requestId);
      return { requestId, resourceId: 'host-1', principalId: 'alice', account: undefined, expiresAt: inOneHour(), ...extra };
    },
    createUser(prefix) {
      const name = `${prefix}${randomBytes(3).toString('hex')}`;
      execFileSync('useradd', ['-m', '-s', '/bin/bash', name]);
      users.push(name);
      return name;
    },
    createGroup(prefix) {
      const name = `${prefix}${randomBytes(3).toString('hex')}`;
      execFileSync('groupadd', [name]);
      groups.push(name);
      return name;
    },
    async close() {
      // What a failed test left behind, and only this target's (other test files run beside it): the accounts,
      // sudoers files and group markers of its requests, and the users and groups it made itself.
      const shortIds = requestIds.map((requestId) => shortGrantId(requestId, 'host-1'));
      for (const name of [...shortIds.map(ephemeralName).filter(userExists), ...users]) {
        try {
          execFileSync('pkill', ['-KILL', '-u', name], { stdio: 'ignore' });
        } catch {
          // nothing was running
        }
        try {
          execFileSync('userdel', ['-r', '-f', name], { stdio: 'ignore' });
        } catch {
          // already gone
        }
      }
      for (const name of groups) {
        try {
          execFileSync('groupdel', [name], { stdio: 'ignore' });
        } catch {
          // already gone
        }
      }
      for (const shortId of shortIds) {
        for (const path of [`/etc/sudoers.d/stint-${shortId}`, `/etc/sudoers.d/.stint-${shortId}.new`, `/var/lib/stint/grants/${shortId}`]) rmSync(path, { force: true });
      }
      await sshd.stop();
    },
  };
}

/** Logs in as the grantee; resolves with the client, or rejects with the authentication error. */
export function login(sshd: TestSshd, username: string, auth: { password: string } | { privateKey: string }): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({ host: sshd.host, port: sshd.port, username, ...auth, readyTimeout: 10_000, hostVerifier: (key: Buffer) => key.toString('base64') === sshd.hostKeyBlob });
  });
}

export function exec(client: Client, command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, channel) => {
      if (error) return reject(error);
      let stdout = '';
      let stderr = '';
      channel.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      channel.on('close', (code: number | null) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  });
}

/** A login shell on a pty; `closed` resolves when the server ends the channel. */
export function openShell(client: Client): Promise<{ channel: ClientChannel; output: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    client.shell({ term: 'xterm' }, (error, channel) => {
      if (error) return reject(error);
      let output = '';
      channel.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const closed = new Promise<void>((done) => channel.on('close', () => done()));
      resolve({ channel, output: () => output, closed });
    });
  });
}

export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
