import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSshKeyPair } from '../../../src/gateway/ssh-keys.ts';
import { exec, groupsOf, login, openLinuxTarget, userExists, type LinuxTarget } from './linux-target.ts';

/** The documented sudoers file for the provisioning account, installed as-is for a test account. */
const DOCUMENTED = readFileSync(new URL('../../../docs/providers/linux-provisioning.sudoers', import.meta.url), 'utf8');

describe('linux provider with a non-root provisioning account (sudo: true)', () => {
  let t: LinuxTarget;
  let provisioner: string;
  const sudoersFile = '/etc/sudoers.d/zz-stint-test-provisioning';
  beforeAll(async () => {
    t = await openLinuxTarget();
    provisioner = t.createUser('prov');
    const home = `/home/${provisioner}`;
    mkdirSync(`${home}/.ssh`, { recursive: true });
    writeFileSync(`${home}/.ssh/authorized_keys`, readFileSync(`${t.sshd.privateKeyPath}.pub`));
    execFileSync('chown', ['-R', `${provisioner}:`, `${home}/.ssh`]);
    // useradd's `!` means locked, and sshd without PAM refuses even key logins to a locked account.
    execFileSync('usermod', ['-p', '*', provisioner]);
    const text = DOCUMENTED.replace('Defaults:stint ', `Defaults:${provisioner} `).replace(/^stint ALL=/m, `${provisioner} ALL=`);
    writeFileSync(`${sudoersFile}.new`, text, { mode: 0o440 });
    execFileSync('visudo', ['-c', '-q', '-f', `${sudoersFile}.new`]);
    execFileSync('mv', [`${sudoersFile}.new`, sudoersFile]);
  }, 30_000);
  afterAll(async () => {
    rmSync(sudoersFile, { force: true });
    await t?.close();
  }, 30_000);

  const asProvisioner = (jit: Record<string, unknown>) => t.config(jit, { user: provisioner, sudo: true });

  it('runs an ephemeral grant with sudo, the credential, the login and the revoke with only the documented commands', async () => {
    const config = asProvisioner({ create_ephemeral: true, elevate: true, elevation_method: 'sudo', elevation_string: 'ALL=(ALL) NOPASSWD: ALL' });
    const handle = await t.provider.grant(config, t.target());
    const credential = await t.provider.credential!(config, handle);
    const client = await login(t.sshd, credential.username, { password: credential.password });
    expect((await exec(client, 'sudo -n true')).code).toBe(0);
    client.end();
    await t.provider.revoke(config, handle, { stillNeeded: false });
    expect(userExists(credential.username)).toBe(false);
    expect(await t.provider.check(config, handle)).toBe('absent');
  }, 40_000);

  it('adds and removes a group membership with only the documented commands', async () => {
    const person = t.createUser('hank');
    const group = t.createGroup('ops');
    const config = asProvisioner({ elevate: true, elevation_method: 'group', elevation_string: group });
    const handle = await t.provider.grant(config, t.target({ account: person }));
    expect(groupsOf(person)).toContain(group);
    await t.provider.revoke(config, handle, { stillNeeded: false });
    expect(groupsOf(person)).not.toContain(group);
  }, 40_000);

  it('authorizes a launch key with only the documented commands', async () => {
    const config = asProvisioner({ create_ephemeral: true });
    const handle = await t.provider.grant(config, t.target({ launch: true }));
    const keys = generateSshKeyPair();
    const where = await t.provider.authorizeLaunch!(config, handle, keys.public);
    const client = await login(t.sshd, where.username, { privateKey: keys.private });
    expect((await exec(client, 'id -un')).stdout.trim()).toBe(where.username);
    client.end();
    await t.provider.revoke(config, handle, { stillNeeded: false });
  }, 40_000);
});

describe('linux provider with a provisioning account sudo does not allow', () => {
  let t: LinuxTarget;
  let provisioner: string;
  beforeAll(async () => {
    t = await openLinuxTarget();
    provisioner = t.createUser('noprov');
    mkdirSync(`/home/${provisioner}/.ssh`, { recursive: true });
    writeFileSync(`/home/${provisioner}/.ssh/authorized_keys`, readFileSync(`${t.sshd.privateKeyPath}.pub`));
    execFileSync('chown', ['-R', `${provisioner}:`, `/home/${provisioner}/.ssh`]);
    execFileSync('usermod', ['-p', '*', provisioner]);
  }, 30_000);
  afterAll(async () => {
    await t?.close();
  }, 30_000);

  it('fails a check instead of reading sudo’s refusal as "absent"', async () => {
    const config = t.config({ elevate: true, elevation_method: 'sudo', elevation_string: 'ALL=(ALL) ALL' }, { user: provisioner, sudo: true });
    const handle = { kind: 'linux', host: 'x', requestId: 'r', resourceId: 'res', shortId: '0123456789abcdef', account: 'root', ephemeral: null, elevation: { method: 'sudo', file: '/etc/sudoers.d/stint-0123456789abcdef' }, launch: false, expiresAt: new Date().toISOString() };
    await expect(t.provider.check(config, handle)).rejects.toThrow(/`test -e \/etc\/sudoers.d\/stint-0123456789abcdef` failed .*sudo: a password is required/);
  }, 30_000);
});
