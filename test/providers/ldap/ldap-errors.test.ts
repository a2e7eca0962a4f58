import { BusyError, InsufficientAccessError, InvalidCredentialsError, NoSuchObjectError, UnavailableError } from 'ldapts';
import { describe, expect, it } from 'vitest';
import { isTransient, operationRefusal } from '../../../src/providers/ldap/ldap-errors.ts';

const who = { bindDn: 'cn=stint,dc=corp', url: 'ldap://ldap.corp' };
const modify = { action: 'modify', target: 'cn=dba,dc=corp', access: 'write access to its member attribute', missing: 'fix `group` in the resource' };
const withCode = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('ldap error classification', () => {
  it('retries a busy or unavailable directory, refused or reset connections and timeouts', () => {
    expect(isTransient(new BusyError())).toBe(true);
    expect(isTransient(new UnavailableError())).toBe(true);
    expect(isTransient(withCode('ECONNREFUSED'))).toBe(true);
    expect(isTransient(withCode('ECONNRESET'))).toBe(true);
    expect(isTransient(new Error('ModifyRequest: Operation timed out'))).toBe(true);
    expect(isTransient(new Error('Connection timeout'))).toBe(true);
  });

  it('never retries a refusal that only the directory or the policy can fix', () => {
    expect(isTransient(new InsufficientAccessError())).toBe(false);
    expect(isTransient(new NoSuchObjectError())).toBe(false);
    expect(isTransient(new InvalidCredentialsError())).toBe(false);
  });

  it('says which access the bind DN lacks, and which DN is missing', () => {
    expect(operationRefusal(new InsufficientAccessError(), modify, who)?.message).toBe(
      'ldap: the bind DN cn=stint,dc=corp may not modify cn=dba,dc=corp: grant it write access to its member attribute',
    );
    expect(operationRefusal(new NoSuchObjectError(), modify, who)?.message).toBe('ldap: cn=dba,dc=corp does not exist on ldap://ldap.corp; fix `group` in the resource');
  });

  it('leaves transient errors to the retry loop', () => {
    expect(operationRefusal(new BusyError(), modify, who)).toBeNull();
  });
});
