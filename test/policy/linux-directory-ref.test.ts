import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/policy/index.ts';
import { lineOfText, minimalYaml, policyError } from './helpers.ts';

/** The minimal policy with its resources replaced by a linux host (domain accounts in `directory`) and `extra`. */
function withLinux(directory: string, extra = ''): string {
  const linux = `  - id: host-1
    provider:
      type: linux
      host: db-1.internal
      knownHosts: "db-1.internal ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBNf2b3Nzr3Xz1Jb4Jd0l8m0jTzL1pZ0n2v6HkN0aQ7x"
      user: stint
      privateKey: env:STINT_SSH_KEY
      jit: { create_ephemeral: true, ephemeral_account_type: domain, base_distinguished_name: "ou=people,dc=example,dc=com", directory: ${directory} }
    maxDuration: 4h
    workflow: review
${extra}`;
  return minimalYaml().replace('  - { id: db, provider: { type: postgres }, maxDuration: 4h, workflow: review }\n', linux);
}

const LDAP = '  - { id: corp-ldap, provider: { type: ldap, url: "ldaps://ldap.example.com" }, maxDuration: 4h, workflow: review }\n';

describe('policy: a linux resource’s jit.directory', () => {
  it('carries the named ldap resource’s provider block to the linux block', () => {
    const policy = parsePolicy(withLinux('corp-ldap', LDAP), 'stint.yaml');
    const host = policy.resources.find((r) => r.id === 'host-1')!;
    expect(host.provider.directoryProvider).toEqual({ type: 'ldap', url: 'ldaps://ldap.example.com' });
  });

  it('names an unknown directory resource by line', () => {
    const text = withLinux('corp-ldapp', LDAP);
    expect(policyError(text).message).toContain(
      `stint.yaml:${lineOfText(text, 'directory: corp-ldapp')}: resources[0].provider.jit.directory: unknown resource "corp-ldapp" (did you mean "corp-ldap"?): name an ldap resource`,
    );
  });

  it('refuses a directory that is not an ldap resource', () => {
    const text = withLinux('db', '  - { id: db, provider: { type: postgres }, maxDuration: 4h, workflow: review }\n');
    expect(policyError(text).message).toContain('resources[0].provider.jit.directory: "db" is a postgres resource: name an ldap resource');
  });
});
