import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shortGrantId } from '../../../src/providers/linux/linux-handle.ts';
import { exec, groupsOf, login, openLinuxTarget, type LinuxTarget } from './linux-target.ts';


describe('linux provider, elevation of the person’s own account', () => {
  let t: LinuxTarget;
  let role: string;
  beforeAll(async () => {
    t = await openLinuxTarget();
    role = `stinttest${Date.now().toString(36)}`;
    mkdirSync('/etc/stint/roles', { recursive: true });
    writeFileSync(`/etc/stint/roles/${role}`, '{{user}} ALL=(root) NOPASSWD: /usr/bin/id\n');
  }, 30_000);
  afterAll(async () => {
    rmSync(`/etc/stint/roles/${role}`, { force: true });
    await t?.close();
  }, 30_000);

  const groupConfig = (group: string) => t.config({ elevate: true, elevation_method: 'group', elevation_string: group });

  it('adds the linked account to the group and removes it on revoke', async () => {
    const person = t.createUser('alice');
    const group = t.createGroup('ops');
    const handle = await t.provider.grant(groupConfig(group), t.target({ account: person }));
    expect(handle).toMatchObject({ account: person, ephemeral: null, elevation: { method: 'group', group, preexisting: false } });
    expect(groupsOf(person)).toContain(group);
    expect(await t.provider.check(groupConfig(group), handle)).toBe('present');
    await t.provider.revoke(groupConfig(group), handle, { stillNeeded: false });
    expect(groupsOf(person)).not.toContain(group);
    expect(await t.provider.check(groupConfig(group), handle)).toBe('absent');
    expect(execFileSync('getent', ['passwd', person]).length).toBeGreaterThan(0);
  }, 30_000);

  it('records a membership held before Stint and never removes it', async () => {
    const person = t.createUser('bob');
    const group = t.createGroup('ops');
    execFileSync('gpasswd', ['-a', person, group]);
    const handle = await t.provider.grant(groupConfig(group), t.target({ account: person }));
    expect(handle).toMatchObject({ preexisting: true, elevation: { preexisting: true } });
    await t.provider.revoke(groupConfig(group), handle, { stillNeeded: false });
    expect(groupsOf(person)).toContain(group);
  }, 30_000);

  it('keeps the membership while another open request of the person needs it, and removes it with the last', async () => {
    const person = t.createUser('carol');
    const group = t.createGroup('ops');
    const first = await t.provider.grant(groupConfig(group), t.target({ account: person }));
    // The second request finds the person a member — through Stint, so not preexisting.
    const second = await t.provider.grant(groupConfig(group), t.target({ account: person }));
    expect(second).toMatchObject({ elevation: { preexisting: false } });
    expect(second.preexisting).toBeUndefined();
    await t.provider.revoke(groupConfig(group), first, { stillNeeded: true });
    expect(groupsOf(person)).toContain(group);
    await t.provider.revoke(groupConfig(group), second, { stillNeeded: false });
    expect(groupsOf(person)).not.toContain(group);
  }, 30_000);

  it('does not mistake its own earlier addition for a preexisting membership when a grant is retried', async () => {
    const person = t.createUser('dave');
    const group = t.createGroup('ops');
    const target = t.target({ account: person });
    const first = await t.provider.grant(groupConfig(group), target);
    expect(await t.provider.grant(groupConfig(group), target)).toEqual(first);
    await t.provider.revoke(groupConfig(group), first, { stillNeeded: false });
    expect(groupsOf(person)).not.toContain(group);
  }, 30_000);

  it('refuses a person without accounts.linux', async () => {
    await expect(t.provider.grant(groupConfig('root'), t.target())).rejects.toThrow('alice has no linux account; add accounts.linux for them in the policy');
  });

  it('writes a sudoers entry for the linked account and removes it on revoke', async () => {
    const person = t.createUser('erin');
    const config = t.config({ elevate: true, elevation_method: 'sudo', elevation_string: 'ALL=(root) NOPASSWD: /usr/bin/id' });
    const handle = await t.provider.grant(config, t.target({ account: person }));
    const file = String((handle.elevation as { file: string }).file);
    expect(execFileSync('cat', [file], { encoding: 'utf8' })).toContain(`${person} ALL=(root) NOPASSWD: /usr/bin/id`);
    expect(execFileSync('sudo', ['-n', '-l', '-U', person], { encoding: 'utf8' })).toContain('/usr/bin/id');
    await t.provider.revoke(config, handle, { stillNeeded: false });
    expect(existsSync(file)).toBe(false);
    expect(await t.provider.check(config, handle)).toBe('absent');
  }, 30_000);

  it('lands nothing when visudo refuses the entry', async () => {
    const person = t.createUser('frank');
    // Passes validation (allowed characters) but is not sudoers syntax.
    const config = t.config({ elevate: true, elevation_method: 'sudo', elevation_string: 'ALL=(ALL) NOPASSWD ALL = =' });
    const target = t.target({ account: person });
    await expect(t.provider.grant(config, target)).rejects.toThrow(/visudo refused the sudoers entry .*nothing was installed/);
    const shortId = shortGrantId(target.requestId, target.resourceId);
    expect(readdirSync('/etc/sudoers.d').filter((file) => file.includes(shortId))).toEqual([]);
  }, 30_000);

  it('removes the ephemeral account again when its elevation cannot be written', async () => {
    const config = t.config({ create_ephemeral: true, elevate: true, elevation_method: 'sudo', elevation_string: 'ALL=(ALL) NOPASSWD ALL = =' });
    const target = t.target();
    await expect(t.provider.grant(config, target)).rejects.toThrow(/visudo refused/);
    const listed = await t.provider.listGranted!(config);
    expect(listed.filter((entry) => entry.requestId === target.requestId)).toEqual([]);
  }, 30_000);

  it('instantiates a role prepared on the host for the account, which may then run what the role allows', async () => {
    const config = t.config({ create_ephemeral: true, elevate: true, elevation_method: 'role', elevation_string: role });
    const handle = await t.provider.grant(config, t.target());
    const credential = await t.provider.credential!(config, handle);
    const client = await login(t.sshd, credential.username, { password: credential.password });
    expect((await exec(client, 'sudo -n /usr/bin/id -un')).stdout.trim()).toBe('root');
    expect((await exec(client, 'sudo -n true')).code).not.toBe(0);
    client.end();
    await t.provider.revoke(config, handle, { stillNeeded: false });
    expect(await t.provider.check(config, handle)).toBe('absent');
  }, 30_000);

  it('refuses a role the host has not prepared, naming the file to create', async () => {
    const person = t.createUser('gina');
    const config = t.config({ elevate: true, elevation_method: 'role', elevation_string: 'nosuchrole' });
    await expect(t.provider.grant(config, t.target({ account: person }))).rejects.toThrow('role nosuchrole is not prepared on the host: create /etc/stint/roles/nosuchrole');
  }, 30_000);

  it('describes elevation of the linked account', () => {
    expect(t.provider.describe(groupConfig('wheel'))).toBe(`group wheel for your linked account on 127.0.0.1:${t.sshd.port}`);
  });
});
