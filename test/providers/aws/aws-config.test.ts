import { describe, expect, it } from 'vitest';
import { createAwsProvider } from '../../../src/providers/aws/aws-provider.ts';
import { defaultProviders } from '../../../src/providers/default-providers.ts';

const provider = createAwsProvider({ env: {} });
const identityCenter = {
  type: 'aws',
  mode: 'identity-center',
  region: 'eu-west-1',
  instanceArn: 'arn:aws:sso:::instance/ssoins-1234567890abcdef',
  identityStoreId: 'd-1234567890',
  permissionSetArn: 'arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-abcdef1234567890',
  accountId: '123456789012',
};
const iamRole = { type: 'aws', mode: 'iam-role', region: 'us-east-1', roleArn: 'arn:aws:iam::123456789012:role/prod-admin' };

/** The POLICY_INVALID message validate throws for `config`. */
function refusal(config: Record<string, unknown>): string {
  try {
    provider.validate(config);
  } catch (error) {
    expect(error).toMatchObject({ code: 'POLICY_INVALID' });
    return (error as Error).message;
  }
  throw new Error('validate accepted the config');
}

describe('aws provider validate', () => {
  it('accepts both modes, with or without credentials, endpoint and maxAttempts', () => {
    expect(() => provider.validate(identityCenter)).not.toThrow();
    expect(() => provider.validate(iamRole)).not.toThrow();
    const full = { ...iamRole, endpoint: 'https://vpce-1.iam.example', maxAttempts: 3, credentials: { accessKeyId: 'env:AWS_KEY', secretAccessKey: 'file:/run/secrets/aws', sessionToken: 'env:AWS_TOKEN' } };
    expect(() => provider.validate(full)).not.toThrow();
  });

  it('is registered among the default providers', () => {
    expect(defaultProviders({}).map((p) => p.type)).toContain('aws');
  });

  it('refuses an unknown or missing mode', () => {
    expect(refusal({ ...iamRole, mode: 'root' })).toMatch(/mode: must be identity-center or iam-role/);
    expect(refusal({ type: 'aws', region: 'eu-west-1' })).toMatch(/mode/);
  });

  it('names each bad Identity Center field', () => {
    const message = refusal({ ...identityCenter, accountId: '1234', instanceArn: 'ssoins-1', permissionSetArn: undefined, identityStoreId: 'store' });
    expect(message).toMatch(/accountId: must be 12 digits/);
    expect(message).toMatch(/instanceArn: must be an Identity Center instance ARN/);
    expect(message).toMatch(/permissionSetArn: required/);
    expect(message).toMatch(/identityStoreId: must be an identity store id/);
  });

  it('refuses an account id written as a YAML number (leading zeros would be lost)', () => {
    expect(refusal({ ...identityCenter, accountId: 123456789012 })).toMatch(/accountId/);
  });

  it('names a bad roleArn and region', () => {
    const message = refusal({ ...iamRole, roleArn: 'prod-admin', region: 'Europe' });
    expect(message).toMatch(/roleArn: must be an IAM role ARN/);
    expect(message).toMatch(/region: must be an AWS region/);
  });

  it('refuses keys of the other mode and unknown keys', () => {
    expect(refusal({ ...iamRole, accountId: '123456789012' })).toMatch(/unknown key\(s\) accountId/);
  });

  it('refuses inline credentials without echoing them', () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const message = refusal({ ...iamRole, credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: secret } });
    expect(message).toMatch(/credentials\.accessKeyId: must be env:NAME or file:\/path/);
    expect(message).toMatch(/credentials\.secretAccessKey: must be env:NAME or file:\/path/);
    expect(message).not.toContain(secret);
    expect(message).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('refuses a non-URL endpoint and an out-of-range maxAttempts', () => {
    const message = refusal({ ...iamRole, endpoint: 'localhost:4566', maxAttempts: 0 });
    expect(message).toMatch(/endpoint: must be an http\(s\) URL/);
    expect(message).toMatch(/maxAttempts/);
  });
});
