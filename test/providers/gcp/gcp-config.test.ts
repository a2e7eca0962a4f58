import { describe, expect, it } from 'vitest';
import { createGcpProvider } from '../../../src/providers/gcp/gcp-provider.ts';
import { memberOf, parseGcpConfig } from '../../../src/providers/gcp/gcp-config.ts';
import { expiryOf, expiryTimestamp } from '../../../src/providers/gcp/gcp-bindings.ts';

const provider = createGcpProvider({ env: {} });
const good = { type: 'gcp', resource: 'projects/acme-prod-1', role: 'roles/cloudsql.client' };
const problemsOf = (config: Record<string, unknown>): string => {
  try {
    provider.validate(config);
  } catch (err) {
    expect(err).toMatchObject({ code: 'POLICY_INVALID' });
    return (err as Error).message;
  }
  throw new Error('expected POLICY_INVALID');
};

describe('gcp provider config', () => {
  it('accepts a project, folder or organization with a predefined or custom role, with defaults', () => {
    expect(parseGcpConfig(good)).toEqual({ ...good, endpoint: 'https://cloudresourcemanager.googleapis.com', maxAttempts: 5 });
    for (const resource of ['folders/123456789', 'organizations/987654321', 'projects/123456789012']) {
      expect(() => provider.validate({ ...good, resource })).not.toThrow();
    }
    for (const role of ['projects/acme-prod-1/roles/stintReader', 'organizations/987654321/roles/custom.viewer']) {
      expect(() => provider.validate({ ...good, role })).not.toThrow();
    }
  });

  it.each(['roles/owner', 'roles/editor', 'roles/viewer'])('refuses the basic role %s, naming role', (role) => {
    expect(problemsOf({ ...good, role })).toMatch(/^gcp provider: role: basic roles .* cannot carry the IAM condition/);
  });

  it('names a bad resource', () => {
    expect(problemsOf({ ...good, resource: 'acme-prod' })).toMatch(/resource: must be projects\/<id>/);
    expect(problemsOf({ ...good, resource: 'billingAccounts/0123' })).toMatch(/resource:/);
  });

  it('names a missing or malformed role', () => {
    expect(problemsOf({ type: 'gcp', resource: good.resource })).toMatch(/role: required/);
    expect(problemsOf({ ...good, role: 'storage.admin' })).toMatch(/role: must be roles\/<name>/);
  });

  it('refuses inline credentials and names the field without echoing the value', () => {
    const message = problemsOf({ ...good, credentials: '{"private_key":"-----BEGIN PRIVATE KEY-----"}' });
    expect(message).toMatch(/credentials: must be env:NAME or file:\/path/);
    expect(message).not.toContain('PRIVATE');
  });

  it('refuses a plain-http endpoint off this machine, and unknown keys', () => {
    expect(problemsOf({ ...good, endpoint: 'http://crm.example.com' })).toMatch(/endpoint: must be an https:\/\/ URL/);
    expect(() => provider.validate({ ...good, endpoint: 'http://127.0.0.1:8080' })).not.toThrow();
    expect(problemsOf({ ...good, project: 'x' })).toMatch(/unknown key\(s\) project/);
    expect(problemsOf({ ...good, maxAttempts: 0 })).toMatch(/maxAttempts:/);
    expect(problemsOf({ ...good, mode: 'ephemeral' })).toMatch(/mode: gcp has one mode, membership/);
    expect(() => provider.validate({ ...good, mode: 'membership' })).not.toThrow();
  });

  it('describes the grant for cards', () => {
    expect(provider.describe(good)).toBe('Google Cloud IAM: roles/cloudsql.client on projects/acme-prod-1 (a conditional binding that expires on its own)');
  });
});

describe('accounts.gcp', () => {
  const target = { resourceId: 'gcp-sql', principalId: 'alice' };
  it('turns a bare email into user:, a service-account email into serviceAccount:, and keeps prefixes', () => {
    expect(memberOf('Alice@Example.com', target)).toBe('user:alice@example.com');
    expect(memberOf('bot@acme.iam.gserviceaccount.com', target)).toBe('serviceAccount:bot@acme.iam.gserviceaccount.com');
    expect(memberOf('group:sre@example.com', target)).toBe('group:sre@example.com');
    expect(memberOf('serviceAccount:ci@acme.iam.gserviceaccount.com', target)).toBe('serviceAccount:ci@acme.iam.gserviceaccount.com');
  });

  it('refuses a missing or malformed account, naming accounts.gcp', () => {
    expect(() => memberOf(undefined, target)).toThrow(/alice has no gcp account; add accounts\.gcp/);
    expect(() => memberOf('domain:example.com', target)).toThrow(/accounts\.gcp of alice must be/);
    expect(() => memberOf('alice', target)).toThrow(/accounts\.gcp/);
  });
});

describe('expiry condition', () => {
  it('writes whole seconds in UTC with Z, rounding down, and reads them back', () => {
    expect(expiryTimestamp(new Date('2030-02-03T04:05:06.789Z'))).toBe('2030-02-03T04:05:06Z');
    expect(expiryOf({ expression: 'request.time < timestamp("2030-02-03T04:05:06Z")' })).toEqual(new Date('2030-02-03T04:05:06Z'));
    expect(expiryOf({ expression: 'request.time < timestamp("2030-02-03T04:05:06Z") || true' })).toBeNull();
  });
});
