import { describe, expect, it } from 'vitest';
import { parseLinuxConfig } from '../../../src/providers/linux/linux-config.ts';
import { parseKnownHosts } from '../../../src/providers/linux/known-hosts.ts';
import { commandLine, quote } from '../../../src/providers/linux/shell.ts';
import { createLinuxProvider } from '../../../src/providers/linux/linux-provider.ts';

const KEY = 'AAAAC3NzaC1lZDI1NTE5AAAAIBNf2b3Nzr3Xz1Jb4Jd0l8m0jTzL1pZ0n2v6HkN0aQ7x';
const base = (jit: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'linux',
  host: 'db-1.internal',
  knownHosts: `db-1.internal ssh-ed25519 ${KEY}`,
  user: 'stint',
  privateKey: 'env:STINT_SSH_KEY',
  sudo: true,
  jit,
  ...extra,
});
const SUDO = { elevate: true, elevation_method: 'sudo', elevation_string: 'ALL=(ALL) NOPASSWD: ALL' };
const refusal = (config: Record<string, unknown>) => {
  try {
    parseLinuxConfig(config);
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
};

describe('linux provider config', () => {
  it('accepts an ephemeral account with sudo and fills in the defaults', () => {
    const config = parseLinuxConfig(base({ create_ephemeral: true, ...SUDO }));
    expect(config).toMatchObject({ port: 22, timeoutMs: 15_000, allowUserHost: false, sudo: true });
  });

  it('refuses a jit block that grants nothing', () => {
    expect(refusal(base({}))).toBe('linux provider: jit: grants nothing: set create_ephemeral, elevate, or both');
  });

  it('refuses elevate without elevation_method', () => {
    expect(refusal(base({ elevate: true, elevation_string: 'wheel' }))).toBe('linux provider: jit.elevation_method: is required with elevate: true: sudo, group or role');
  });

  it('refuses elevate without elevation_string', () => {
    expect(refusal(base({ elevate: true, elevation_method: 'group' }))).toBe(
      'linux provider: jit.elevation_string: is required with elevate: true: a sudoers spec (ALL=(ALL) NOPASSWD: ALL), a group name or a role name',
    );
  });

  it('refuses elevation settings without elevate', () => {
    expect(refusal(base({ create_ephemeral: true, elevation_method: 'sudo', elevation_string: 'ALL=(ALL) ALL' }))).toBe(
      'linux provider: jit.elevation_method: only applies with elevate: true; jit.elevation_string: only applies with elevate: true',
    );
  });

  it('refuses an unknown elevation method', () => {
    expect(refusal(base({ elevate: true, elevation_method: 'doas', elevation_string: 'x' }))).toContain('jit.elevation_method: must be sudo, group or role');
  });

  it('refuses an ephemeral_account_type without create_ephemeral', () => {
    expect(refusal(base({ ephemeral_account_type: 'local', ...SUDO }))).toBe('linux provider: jit.ephemeral_account_type: only applies with create_ephemeral: true');
  });

  it('refuses base_distinguished_name with a local account', () => {
    expect(refusal(base({ create_ephemeral: true, base_distinguished_name: 'ou=people,dc=example,dc=com' }))).toBe(
      'linux provider: jit.base_distinguished_name: only applies to ephemeral_account_type: domain',
    );
  });

  it('refuses directory with a local account', () => {
    expect(refusal(base({ create_ephemeral: true, ephemeral_account_type: 'local', directory: 'corp-ldap' }))).toBe('linux provider: jit.directory: only applies to ephemeral_account_type: domain');
  });

  it('refuses a domain account without directory', () => {
    expect(refusal(base({ create_ephemeral: true, ephemeral_account_type: 'domain', base_distinguished_name: 'ou=people,dc=example,dc=com' }))).toBe(
      'linux provider: jit.directory: is required with ephemeral_account_type: domain: name the ldap resource the account is created in',
    );
  });

  it('refuses a domain account without base_distinguished_name', () => {
    expect(refusal(base({ create_ephemeral: true, ephemeral_account_type: 'domain', directory: 'corp-ldap' }))).toBe(
      'linux provider: jit.base_distinguished_name: is required with ephemeral_account_type: domain (e.g. ou=people,dc=example,dc=com)',
    );
  });

  it('refuses a base_distinguished_name that is not a DN', () => {
    expect(refusal(base({ create_ephemeral: true, ephemeral_account_type: 'domain', directory: 'corp-ldap', base_distinguished_name: 'people' }))).toBe(
      'linux provider: jit.base_distinguished_name: must be a distinguished name like ou=people,dc=example,dc=com',
    );
  });

  it('refuses a group name that is not a safe identifier', () => {
    expect(refusal(base({ elevate: true, elevation_method: 'group', elevation_string: 'wheel;rm -rf /' }))).toBe(
      'linux provider: jit.elevation_string: must be a plain group name ([a-z_][a-z0-9_.-]*, at most 32 characters) with elevation_method: group',
    );
  });

  it('refuses a role name that is not a safe identifier', () => {
    expect(refusal(base({ elevate: true, elevation_method: 'role', elevation_string: '../../etc/shadow' }))).toBe(
      'linux provider: jit.elevation_string: must be a plain role name ([a-z_][a-z0-9_-]*, at most 32 characters), the file name under /etc/stint/roles',
    );
  });

  it('refuses a sudoers spec with a newline', () => {
    expect(refusal(base({ ...SUDO, elevation_string: 'ALL=(ALL) ALL\nALL ALL=(ALL) NOPASSWD: ALL' }))).toBe('linux provider: jit.elevation_string: must be one sudoers line: no newline or backslash');
  });

  it('refuses a sudoers spec with a line continuation', () => {
    expect(refusal(base({ ...SUDO, elevation_string: 'ALL=(ALL) ALL \\' }))).toBe('linux provider: jit.elevation_string: must be one sudoers line: no newline or backslash');
  });

  it('refuses a sudoers spec with an include directive or a comment', () => {
    expect(refusal(base({ ...SUDO, elevation_string: 'ALL=(ALL) ALL #include /tmp/x' }))).toBe('linux provider: jit.elevation_string: must not contain # or include directives');
    expect(refusal(base({ ...SUDO, elevation_string: 'ALL=(ALL) ALL @include /tmp/x' }))).toBe('linux provider: jit.elevation_string: must not contain # or include directives');
  });

  it('refuses a sudoers spec with characters that could break out', () => {
    expect(refusal(base({ ...SUDO, elevation_string: 'ALL=(ALL) NOPASSWD: /bin/echo "$(id)"' }))).toBe(
      'linux provider: jit.elevation_string: has characters a sudoers spec does not need (allowed: letters, digits, space and _=(),:/.*!+%@-)',
    );
  });

  it('refuses a sudoers spec without hosts=commands', () => {
    expect(refusal(base({ ...SUDO, elevation_string: 'ALL' }))).toBe('linux provider: jit.elevation_string: must be a sudoers spec like ALL=(ALL) NOPASSWD: ALL (hosts=(runas) commands)');
  });

  it('requires knownHosts, naming what it holds', () => {
    const { knownHosts: _omitted, ...config } = base({ create_ephemeral: true });
    expect(refusal(config)).toBe("linux provider: knownHosts: required: the host's known_hosts line(s), inline or file:/path; an unpinned host key is refused");
  });

  it('refuses knownHosts text with no key line', () => {
    expect(refusal(base({ create_ephemeral: true }, { knownHosts: '# nothing here' }))).toBe('linux provider: knownHosts: holds no key line');
    expect(refusal(base({ create_ephemeral: true }, { knownHosts: 'db-1 ssh-ed25519' }))).toBe('linux provider: knownHosts: line 1 is not "host key-type base64-key"');
  });

  it('refuses an inline private key or passphrase', () => {
    expect(refusal(base({ create_ephemeral: true }, { privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----' }))).toBe(
      'linux provider: privateKey: must be env:NAME or file:/path; inline secrets are refused',
    );
    expect(refusal(base({ create_ephemeral: true }, { passphrase: 'hunter2' }))).toBe('linux provider: passphrase: must be env:NAME or file:/path; inline secrets are refused');
  });

  it('refuses a provisioning user or host that is not a plain name', () => {
    expect(refusal(base({ create_ephemeral: true }, { user: 'root; id' }))).toBe('linux provider: user: must be a plain Linux account name');
    expect(refusal(base({ create_ephemeral: true }, { host: 'db-1 -oProxyCommand=x' }))).toBe('linux provider: host: must be a host name or an IP address');
  });

  it('refuses unknown keys', () => {
    expect(refusal(base({ create_ephemeral: true }, { hostname: 'x' }))).toBe('linux provider: unknown key(s) hostname');
  });
});

describe('linux provider helpers', () => {
  it('quotes every argument so the remote shell reads none of it as syntax', () => {
    expect(quote("it's; $(id) `x`")).toBe(`'it'\\''s; $(id) \`x\`'`);
    expect(commandLine(['useradd', '-c', 'a b', 'stint-x'])).toBe("'useradd' '-c' 'a b' 'stint-x'");
  });

  it('reads known_hosts lines with or without the host field, and refuses markers', () => {
    expect(parseKnownHosts(`[h]:2222 ssh-ed25519 ${KEY} comment\nssh-rsa AAAAB3Nza`)).toEqual([
      { type: 'ssh-ed25519', blob: KEY },
      { type: 'ssh-rsa', blob: 'AAAAB3Nza' },
    ]);
    expect(() => parseKnownHosts(`@cert-authority * ssh-ed25519 ${KEY}`)).toThrow('markers like @cert-authority are not supported');
  });

  it('records allowUserHost only, for the gateway’s launch rule', () => {
    expect(parseLinuxConfig(base({ create_ephemeral: true }, { allowUserHost: true })).allowUserHost).toBe(true);
  });

  it('describes a domain account and a role for approvers', () => {
    const provider = createLinuxProvider({ env: {} });
    const domain = base({ create_ephemeral: true, ephemeral_account_type: 'domain', directory: 'corp-ldap', base_distinguished_name: 'ou=people,dc=example,dc=com', elevate: true, elevation_method: 'group', elevation_string: 'wheel' });
    expect(provider.describe(domain)).toBe('ephemeral directory account (ou=people,dc=example,dc=com) + group wheel on db-1.internal');
    expect(provider.describe(base({ elevate: true, elevation_method: 'role', elevation_string: 'dba' }, { port: 2222 }))).toBe(
      'role dba (sudo profile prepared on the host) for your linked account on db-1.internal:2222',
    );
  });
});

describe('linux provider registration', () => {
  it('is among the providers this build ships', async () => {
    const { defaultProviders } = await import('../../../src/providers/default-providers.ts');
    expect(defaultProviders({}).map((p) => p.type)).toContain('linux');
  });
});
