import { describe, expect, it } from 'vitest';
import { createLdapProvider } from '../../../src/providers/ldap/ldap-provider.ts';
import { parseLdapConnection } from '../../../src/providers/ldap/directory-accounts.ts';

const provider = createLdapProvider({ env: {} });
const valid = {
  type: 'ldap',
  url: 'ldap://ldap.corp:389',
  bindDn: 'cn=stint,ou=services,dc=corp',
  bindPassword: 'env:LDAP_BIND_PASSWORD',
  group: 'cn=dba,ou=groups,dc=corp',
};
const ephemeral = { ...valid, mode: 'ephemeral', base_distinguished_name: 'ou=people,dc=corp' };

function refusal(config: Record<string, unknown>): string {
  try {
    provider.validate(config);
  } catch (error) {
    expect(error).toMatchObject({ code: 'POLICY_INVALID' });
    return (error as Error).message;
  }
  throw new Error('expected validate to refuse the config');
}

describe('ldap provider validate', () => {
  it('accepts a membership block with the defaults (mode membership, attribute member)', () => {
    expect(() => provider.validate(valid)).not.toThrow();
  });

  it('accepts an ephemeral block, ldaps:// with a CA file, and a uidNumber range', () => {
    expect(() => provider.validate({ ...ephemeral, url: 'ldaps://ldap.corp', tlsCaFile: '/etc/ssl/corp-ca.pem', uidNumberRange: [80000, 80999], gidNumber: 100 })).not.toThrow();
  });

  it('refuses a url that is not ldap:// or ldaps://', () => {
    expect(refusal({ ...valid, url: 'https://ldap.corp' })).toContain('url: must be ldap://host[:port] or ldaps://host[:port]');
  });

  it('refuses a bindDn that is not a distinguished name', () => {
    expect(refusal({ ...valid, bindDn: 'stint' })).toContain('bindDn: must be a distinguished name');
  });

  it('refuses an inline bind password without echoing it', () => {
    const message = refusal({ ...valid, bindPassword: 'hunter2' });
    expect(message).toContain('bindPassword: must be env:NAME or file:/path; inline passwords are refused');
    expect(message).not.toContain('hunter2');
  });

  it('refuses startTls with an ldaps:// url', () => {
    expect(refusal({ ...valid, url: 'ldaps://ldap.corp', startTls: true })).toContain('startTls: only with an ldap:// url');
  });

  it('refuses a relative tlsCaFile', () => {
    expect(refusal({ ...valid, tlsCaFile: 'ca.pem' })).toContain('tlsCaFile: must be an absolute path');
  });

  it('refuses a timeout below 100 ms', () => {
    expect(refusal({ ...valid, timeoutMs: 5 })).toContain('timeoutMs:');
  });

  it('refuses an unknown mode', () => {
    expect(refusal({ ...valid, mode: 'admin' })).toContain('mode: must be membership or ephemeral');
  });

  it('refuses membership without a group', () => {
    const { group: _group, ...noGroup } = valid;
    expect(refusal(noGroup)).toContain('group: required in mode membership');
  });

  it('refuses an unknown member attribute', () => {
    expect(refusal({ ...valid, memberAttribute: 'memberOf' })).toContain('memberAttribute: must be member, uniqueMember or memberUid');
  });

  it('refuses ephemeral without base_distinguished_name', () => {
    expect(refusal({ ...valid, mode: 'ephemeral' })).toContain('base_distinguished_name: required in mode ephemeral');
  });

  it('refuses ephemeral-only keys in membership mode, naming each', () => {
    const message = refusal({ ...valid, base_distinguished_name: 'ou=people,dc=corp', uidNumberRange: [1, 2] });
    expect(message).toContain('base_distinguished_name: only in mode ephemeral');
    expect(message).toContain('uidNumberRange: only in mode ephemeral');
  });

  it('refuses a uidNumberRange whose min exceeds its max', () => {
    expect(refusal({ ...ephemeral, uidNumberRange: [9, 1] })).toContain('uidNumberRange: min must not exceed max');
  });

  it('refuses unknown keys', () => {
    expect(refusal({ ...valid, password: 'x' })).toContain('unknown key(s) password');
  });
});

describe('parseLdapConnection', () => {
  it('takes the connection keys of a whole ldap block and ignores the rest', () => {
    expect(parseLdapConnection({ ...valid, startTls: true, timeoutMs: 2000 })).toEqual({
      url: valid.url,
      bindDn: valid.bindDn,
      bindPassword: valid.bindPassword,
      startTls: true,
      timeoutMs: 2000,
    });
  });

  it('refuses a connection without a bind password, naming the field', () => {
    expect(() => parseLdapConnection({ url: valid.url, bindDn: valid.bindDn })).toThrow(/bindPassword: required/);
  });
});

describe('ldap provider describe', () => {
  it('names the group of a membership resource', () => {
    expect(provider.describe(valid)).toBe('membership in LDAP group cn=dba,ou=groups,dc=corp');
  });

  it('names the base DN and group of an ephemeral resource', () => {
    expect(provider.describe(ephemeral)).toBe('a temporary LDAP account under ou=people,dc=corp, member of cn=dba,ou=groups,dc=corp');
  });
});
