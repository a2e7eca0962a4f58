/**
 * Domain mode against a real slapd: the ephemeral account is made in the directory and elevated on the host by
 * name. The ldap provider's directory-accounts module and slapd harness are loaded by path, so this file builds
 * on a branch that does not have them yet; there the suite is skipped (it runs once both parts are merged).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provider } from '../../../src/core/ports.ts';
import { createLinuxProvider } from '../../../src/providers/linux/linux-provider.ts';
import type { DirectoryAccounts } from '../../../src/providers/linux/directory.ts';
import { openLinuxTarget, type LinuxTarget } from './linux-target.ts';

const accountsModule = new URL('../../../src/providers/ldap/directory-accounts.ts', import.meta.url);
const slapdModule = new URL('../../support/slapd.ts', import.meta.url);
const ldapHere = existsSync(accountsModule) && existsSync(slapdModule);

interface SlapdLike {
  url: string;
  stintPassword: string;
  stop(): Promise<void>;
}

describe.skipIf(!ldapHere)('linux provider, ephemeral directory accounts (domain)', () => {
  let t: LinuxTarget;
  let slapd: SlapdLike;
  let provider: Provider;
  let accounts: DirectoryAccounts;
  let people: string;
  let stintDn: string;
  beforeAll(async () => {
    const harness = (await import(slapdModule.href)) as { startSlapd(): Promise<SlapdLike>; PEOPLE: string; STINT_DN: string };
    accounts = (await import(accountsModule.href)) as DirectoryAccounts;
    people = harness.PEOPLE;
    stintDn = harness.STINT_DN;
    slapd = await harness.startSlapd();
    t = await openLinuxTarget();
    provider = createLinuxProvider({ env: { LDAP_BIND: slapd.stintPassword }, directory: accounts });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await slapd?.stop();
  }, 30_000);

  const config = () =>
    t.config(
      { create_ephemeral: true, ephemeral_account_type: 'domain', directory: 'corp-ldap', base_distinguished_name: people, elevate: true, elevation_method: 'sudo', elevation_string: 'ALL=(ALL) NOPASSWD: ALL' },
      { directoryProvider: { type: 'ldap', mode: 'ephemeral', url: slapd.url, bindDn: stintDn, bindPassword: 'env:LDAP_BIND', base_distinguished_name: people } },
    );
  const directory = () => (accounts as unknown as { parseLdapConnection(raw: Record<string, unknown>): never }).parseLdapConnection(config().directoryProvider as Record<string, unknown>);

  it('creates the account under the base DN, elevates it on the host by name, and removes both on revoke', async () => {
    const handle = await provider.grant(config(), t.target());
    const dn = String(handle.dn);
    expect(dn).toBe(`uid=${handle.account},${people}`);
    expect(await accounts.directoryAccountExists(directory(), dn, { env: { LDAP_BIND: slapd.stintPassword } })).toBe(true);
    const file = String((handle.elevation as { file: string }).file);
    expect(execFileSync('cat', [file], { encoding: 'utf8' })).toContain(`${handle.account} ALL=(ALL) NOPASSWD: ALL`);
    expect(await provider.check(config(), handle)).toBe('present');

    await provider.revoke(config(), handle, { stillNeeded: false });
    expect(await accounts.directoryAccountExists(directory(), dn, { env: { LDAP_BIND: slapd.stintPassword } })).toBe(false);
    expect(existsSync(file)).toBe(false);
    expect(await provider.check(config(), handle)).toBe('absent');
    await expect(provider.revoke(config(), handle, { stillNeeded: false })).resolves.toBeUndefined();
  }, 40_000);

  it('returns the same handle when a grant is retried', async () => {
    const target = t.target();
    const first = await provider.grant(config(), target);
    expect(await provider.grant(config(), target)).toEqual(first);
    await provider.revoke(config(), first, { stillNeeded: false });
  }, 40_000);

  it('refuses a launch grant: stint ssh works with local accounts only', async () => {
    await expect(provider.grant(config(), t.target({ launch: true }))).rejects.toThrow('stint ssh works with local ephemeral accounts only');
  });
});

describe('linux provider, domain mode without the directory', () => {
  it('refuses when the build has no ldap provider or the policy did not attach the directory', async () => {
    const t = await openLinuxTarget();
    try {
      const config = t.config({ create_ephemeral: true, ephemeral_account_type: 'domain', directory: 'corp-ldap', base_distinguished_name: 'ou=people,dc=x' });
      await expect(createLinuxProvider({ env: {} }).grant(config, t.target())).rejects.toThrow('needs the ldap provider, which this build does not have');
      const withAccounts = createLinuxProvider({ env: {}, directory: {} as DirectoryAccounts });
      await expect(withAccounts.grant(config, t.target())).rejects.toThrow('jit.directory "corp-ldap" did not resolve to an ldap resource');
    } finally {
      await t.close();
    }
  }, 30_000);
});
