import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrantHandleData } from '../../../src/core/ports.ts';
import { exec, login, openLinuxTarget, openShell, userExists, type LinuxTarget } from './linux-target.ts';

describe('linux provider, ephemeral local account elevated with sudo', () => {
  let t: LinuxTarget;
  beforeAll(async () => {
    t = await openLinuxTarget();
  }, 30_000);
  afterAll(async () => {
    await t?.close();
  }, 30_000);

  const config = () => t.config({ create_ephemeral: true, elevate: true, elevation_method: 'sudo', elevation_string: 'ALL=(ALL) NOPASSWD: ALL' });
  const accountOf = (handle: GrantHandleData) => String(handle.account);

  it('creates a stint-<id> account with no usable password', async () => {
    const handle = await t.provider.grant(config(), t.target());
    expect(accountOf(handle)).toMatch(/^stint-[0-9a-f]{16}$/);
    expect(userExists(accountOf(handle))).toBe(true);
    expect(await t.provider.check(config(), handle)).toBe('present');
    await expect(login(t.sshd, accountOf(handle), { password: '*' })).rejects.toThrow(/authentication/i);
  });

  it('delivers a credential that logs in and may sudo -n, and after revoke cannot and the account is gone', async () => {
    const handle = await t.provider.grant(config(), t.target());
    const credential = await t.provider.credential!(config(), handle);
    expect(credential.username).toBe(accountOf(handle));
    expect(credential.hint).toBe(`ssh ${credential.username}@127.0.0.1 -p ${t.sshd.port}`);
    const client = await login(t.sshd, credential.username, { password: credential.password });
    const sudo = await exec(client, 'sudo -n true && id -un');
    expect(sudo.code).toBe(0);
    client.end();

    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect(userExists(credential.username)).toBe(false);
    expect(await t.provider.check(config(), handle)).toBe('absent');
    await expect(login(t.sshd, credential.username, { password: credential.password })).rejects.toThrow(/authentication/i);
  }, 30_000);

  it('ends a session that is open when the grant is revoked', async () => {
    const handle = await t.provider.grant(config(), t.target());
    const credential = await t.provider.credential!(config(), handle);
    const client = await login(t.sshd, credential.username, { password: credential.password });
    const shell = await openShell(client);
    shell.channel.write('sudo -n -s\n');
    shell.channel.write('echo ready-$((40+2))\n');
    await waitForOutput(shell.output, 'ready-42');
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    await expect(Promise.race([shell.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('still open'), 5000))])).resolves.toBe('closed');
    client.end();
    expect(userExists(credential.username)).toBe(false);
  }, 30_000);

  it('reports no session before a login, and activity while a terminal session is in use', async () => {
    const handle = await t.provider.grant(config(), t.target());
    expect(await t.provider.activity!(config(), handle)).toEqual({ active: false, lastAt: null });
    const credential = await t.provider.credential!(config(), handle);
    const client = await login(t.sshd, credential.username, { password: credential.password });
    const shell = await openShell(client);
    shell.channel.write('echo typed-$((1+1))\n');
    await waitForOutput(shell.output, 'typed-2');
    const seen = await t.provider.activity!(config(), handle);
    expect(seen.active).toBe(true);
    expect(Math.abs(seen.lastAt!.getTime() - Date.now())).toBeLessThan(60_000);
    // No input for ten minutes, as the terminal's access time says.
    const ttys = execFileSync('ps', ['-U', credential.username, '-o', 'tty='], { encoding: 'utf8' }).split('\n').map((x) => x.trim()).filter((x) => x.startsWith('pts/'));
    const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
    for (const tty of new Set(ttys)) execFileSync('touch', ['-a', '-d', `@${tenMinutesAgo}`, `/dev/${tty}`]);
    const idle = await t.provider.activity!(config(), handle);
    expect(idle.active).toBe(false);
    expect(Math.abs(idle.lastAt!.getTime() - tenMinutesAgo * 1000)).toBeLessThan(5_000);
    client.end();
    await t.provider.revoke(config(), handle, { stillNeeded: false });
  }, 30_000);

  it('returns the same handle when a grant is retried', async () => {
    const target = t.target();
    const first = await t.provider.grant(config(), target);
    expect(await t.provider.grant(config(), target)).toEqual(first);
    await t.provider.revoke(config(), first, { stillNeeded: false });
  }, 30_000);

  it('treats a second revoke of the same grant as success', async () => {
    const handle = await t.provider.grant(config(), t.target());
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    await expect(t.provider.revoke(config(), handle, { stillNeeded: false })).resolves.toBeUndefined();
    expect(await t.provider.check(config(), handle)).toBe('absent');
  }, 30_000);

  it('lists the accounts and sudoers files it made, with their request ids, for the orphan sweep', async () => {
    const target = t.target();
    const handle = await t.provider.grant(config(), target);
    const listed = await t.provider.listGranted!(config());
    const mine = listed.find((entry) => entry.requestId === target.requestId);
    expect(mine?.handle).toMatchObject({ account: handle.account, ephemeral: 'local', elevation: { method: 'sudo' } });
    await t.provider.revoke(config(), mine!.handle, { stillNeeded: false });
    expect(await t.provider.check(config(), handle)).toBe('absent');
  }, 30_000);

  it('describes the access for approvers', () => {
    expect(t.provider.describe(config())).toBe(`ephemeral local account + sudo (ALL=(ALL) NOPASSWD: ALL) on 127.0.0.1:${t.sshd.port}`);
  });
});

async function waitForOutput(output: () => string, text: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
