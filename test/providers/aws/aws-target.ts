/** The aws provider pointed at the contract fake: fast retries and polling, credentials through `env:` references. */
import { randomUUID } from 'node:crypto';
import type { GrantTarget, Provider } from '../../../src/core/ports.ts';
import { createAwsProvider } from '../../../src/providers/aws/aws-provider.ts';
import { ACCOUNT_ID, IDENTITY_STORE_ID, PERMISSION_SET_ARN, SSO_INSTANCE_ARN, addRole, startFakeAws, type FakeAws } from '../../fakes/aws-server.ts';

export interface AwsTarget {
  fake: FakeAws;
  provider: Provider;
  /** The clock the provider reads (moved by tests). */
  clock: { now: Date };
  identityCenter(extra?: Record<string, unknown>): Record<string, unknown>;
  iamRole(roleName: string, extra?: Record<string, unknown>): Record<string, unknown>;
  /** A new Identity Center user: returns its user name. */
  newUser(): { userName: string; userId: string };
  target(account: string | undefined, requestId?: string, expiresAt?: Date): GrantTarget;
  close(): Promise<void>;
}

export async function openAwsTarget(): Promise<AwsTarget> {
  const fake = await startFakeAws();
  const clock = { now: new Date() };
  const env = { AWS_TEST_KEY_ID: fake.accessKeyId, AWS_TEST_SECRET: fake.secretAccessKey };
  const provider = createAwsProvider({ env, now: () => clock.now, retryBaseDelayMs: 2, pollIntervalMs: 2, conflictDelayMs: 2, provisionTimeoutMs: 2_000 });
  const connection = {
    type: 'aws',
    region: fake.region,
    endpoint: fake.url,
    credentials: { accessKeyId: 'env:AWS_TEST_KEY_ID', secretAccessKey: 'env:AWS_TEST_SECRET' },
    maxAttempts: 4,
  };
  let users = 0;
  let requests = 0;
  return {
    fake,
    provider,
    clock,
    identityCenter: (extra = {}) => ({
      ...connection,
      mode: 'identity-center',
      instanceArn: SSO_INSTANCE_ARN,
      identityStoreId: IDENTITY_STORE_ID,
      permissionSetArn: PERMISSION_SET_ARN,
      accountId: ACCOUNT_ID,
      ...extra,
    }),
    iamRole: (roleName, extra = {}) => {
      if (!fake.iam.roles.has(roleName)) addRole(fake.iam, roleName);
      return { ...connection, mode: 'iam-role', roleArn: `arn:aws:iam::${ACCOUNT_ID}:role/${roleName}`, ...extra };
    },
    newUser() {
      const userName = `user${users++}@example.com`;
      const userId = `90${String(users).padStart(8, '0')}-${randomUUID()}`;
      fake.sso.users.set(userName, userId);
      return { userName, userId };
    },
    target: (account, requestId = `jit_01TEST${String(requests++).padStart(20, '0')}`, expiresAt = new Date(clock.now.getTime() + 3600_000)) => ({
      requestId,
      resourceId: 'aws-prod',
      principalId: 'alice',
      account,
      expiresAt,
    }),
    close: () => fake.close(),
  };
}
