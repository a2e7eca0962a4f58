import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSshKeyPair } from '../../../src/gateway/ssh-keys.ts';
import { ephemeralName, shortGrantId } from '../../../src/providers/linux/linux-handle.ts';
import { exec, login, openLinuxTarget, userExists, type LinuxTarget } from './linux-target.ts';

describe('linux provider, launch grants (stint ssh) and the connection', () => {
  let t: LinuxTarget;
  beforeAll(async () => {
    t = await openLinuxTarget();
  }, 30_000);
  afterAll(async () => {
    await t?.close();
  }, 30_000);

  const config = (extra: Record<string, unknown> = {}) => t.config({ create_ephemeral: true, elevate: true, elevation_method: 'sudo', elevation_string: 'ALL=(ALL) NOPASSWD: ALL' }, extra);

  it('authorizes a key generated for one session, which then logs in; the key goes with the account', async () => {
    const handle = await t.provider.grant(config(), t.target({ launch: true }));
    const keys = generateSshKeyPair();
    const launchTarget = await t.provider.authorizeLaunch!(config(), handle, keys.public);
    expect(launchTarget).toEqual({ host: '127.0.0.1', port: t.sshd.port, username: handle.account, hostKeys: [t.sshd.hostKeyBlob] });
    const home = execFileSync('getent', ['passwd', String(handle.account)], { encoding: 'utf8' }).split(':')[5]!;
    expect(execFileSync('stat', ['-c', '%a %U', `${home}/.ssh`, `${home}/.ssh/authorized_keys`], { encoding: 'utf8' }).trim().split('\n')).toEqual([
      `700 ${handle.account}`,
      `600 ${handle.account}`,
    ]);
    expect(execFileSync('cat', [`${home}/.ssh/authorized_keys`], { encoding: 'utf8' })).toBe(`restrict,pty ${keys.public}\n`);
    const client = await login(t.sshd, launchTarget.username, { privateKey: keys.private });
    expect((await exec(client, 'sudo -n id -un')).stdout.trim()).toBe('root');
    // No tunnel around the gateway's recording.
    await expect(new Promise((resolve, reject) => client.forwardOut('127.0.0.1', 0, '127.0.0.1', t.sshd.port, (error) => (error ? reject(error) : resolve('open'))))).rejects.toThrow();
    client.end();
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect(userExists(String(handle.account))).toBe(false);
    await expect(login(t.sshd, launchTarget.username, { privateKey: keys.private })).rejects.toThrow(/authentication/i);
  }, 40_000);

  it('refuses to reveal a credential for a launch grant', async () => {
    const handle = await t.provider.grant(config(), t.target({ launch: true }));
    await expect(t.provider.credential!(config(), handle)).rejects.toThrow('this grant is for stint ssh only');
    await t.provider.revoke(config(), handle, { stillNeeded: false });
  }, 30_000);

  it('refuses a launch grant on a resource that makes no ephemeral account', async () => {
    const elevationOnly = t.config({ elevate: true, elevation_method: 'group', elevation_string: 'adm' });
    await expect(t.provider.grant(elevationOnly, t.target({ launch: true, account: 'root' }))).rejects.toThrow('stint ssh needs jit.create_ephemeral: true');
  });

  it('refuses a multi-line or option-carrying public key', async () => {
    const handle = await t.provider.grant(config(), t.target({ launch: true }));
    await expect(t.provider.authorizeLaunch!(config(), handle, 'command="sh" ssh-ed25519 AAAA')).rejects.toThrow('one OpenSSH public key line');
    await t.provider.revoke(config(), handle, { stillNeeded: false });
  }, 30_000);

  it('fails closed on a host key that is not pinned, naming the host and the offered key’s fingerprint', async () => {
    const other = generateSshKeyPair().public.split(' ')[1];
    const blob = Buffer.from(t.sshd.hostKeyBlob, 'base64');
    const offered = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
    // The same fingerprint ssh-keygen prints for the host key.
    expect(execFileSync('ssh-keygen', ['-lf', `${t.sshd.dir}/host_ed25519.pub`], { encoding: 'utf8' })).toContain(offered);
    const unpinned = config({ knownHosts: `db-1 ssh-ed25519 ${other}` });
    const target = t.target();
    const error = await t.provider.grant(unpinned, target).catch((e: unknown) => e as Error);
    expect((error as Error).message).toBe(
      `linux provider: the host key of 127.0.0.1:${t.sshd.port} is not pinned in knownHosts (offered ssh-ed25519 ${offered}); refusing to connect. Verify the key on the host and add its known_hosts line`,
    );
    expect(userExists(ephemeralName(shortGrantId(target.requestId, target.resourceId)))).toBe(false);
  }, 30_000);

  it('says when the host cannot be reached, as a retryable UNAVAILABLE', async () => {
    const { freePort } = await import('../../support/test-redis.ts');
    const closed = config({ port: await freePort() });
    await expect(t.provider.grant(closed, t.target())).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/cannot reach 127\.0\.0\.1:\d+ over SSH/) });
  });

  it('says when the provisioning key is refused, without the key', async () => {
    const { writeFileSync } = await import('node:fs');
    const other = generateSshKeyPair();
    writeFileSync(`${t.sshd.dir}/wrong_key`, other.private, { mode: 0o600 });
    const error = await t.provider.grant(config({ privateKey: `file:${t.sshd.dir}/wrong_key` }), t.target()).catch((e: Error) => e);
    expect((error as Error).message).toBe(`linux provider: root@127.0.0.1:${t.sshd.port} refused the provisioning key; check privateKey and the account's authorized_keys`);
    expect((error as Error).message).not.toContain(other.private.slice(40, 80));
  });

  it('reads knownHosts from a file', async () => {
    const handle = await t.provider.grant(config({ knownHosts: `file:${t.sshd.dir}/known_hosts` }), t.target()).catch((e: Error) => e);
    expect((handle as Error).message).toMatch(/knownHosts file:.*cannot read the file \(ENOENT\)/);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${t.sshd.dir}/known_hosts`, `# pinned\n${t.sshd.knownHostsLine}\n`);
    const ok = await t.provider.grant(config({ knownHosts: `file:${t.sshd.dir}/known_hosts` }), t.target());
    await t.provider.revoke(config(), ok, { stillNeeded: false });
    expect(readFileSync(`${t.sshd.dir}/known_hosts`, 'utf8')).toContain('ssh-ed25519');
  }, 30_000);

  it('grants concurrently without tripping over the /etc/passwd lock', async () => {
    const handles = await Promise.all([1, 2, 3, 4].map(() => t.provider.grant(config(), t.target())));
    await Promise.all(handles.map((handle) => t.provider.revoke(config(), handle, { stillNeeded: false })));
    for (const handle of handles) expect(userExists(String(handle.account))).toBe(false);
  }, 60_000);
});
