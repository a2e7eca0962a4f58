/**
 * The AWS SDK clients of one resource, built from its config: one `endpoint` for all of them when given (tests,
 * VPC endpoints), credentials from `env:`/`file:` references or else the SDK's default chain, and a bounded
 * retry of throttling, transient and 5xx errors whose base delay the provider options set (small in tests).
 */
import { SSOAdminClient } from '@aws-sdk/client-sso-admin';
import { IdentitystoreClient } from '@aws-sdk/client-identitystore';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { resolveSecret } from '../secrets.ts';
import type { AwsConfig } from './aws-config.ts';

export interface AwsClients {
  ssoAdmin: SSOAdminClient;
  identityStore: IdentitystoreClient;
  iam: IAMClient;
  sts: STSClient;
}

export interface RetryTiming {
  /** First retry delay; doubles per attempt (with jitter), capped at 20×. */
  baseDelayMs: number;
  /** Every AWS call gives up after this long (one attempt). */
  requestTimeoutMs: number;
}

export const DEFAULT_MAX_ATTEMPTS = 4;

interface RetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

const RETRYABLE = new Set(['THROTTLING', 'TRANSIENT', 'SERVER_ERROR']);

/**
 * The SDK's retry-strategy contract (v2), written here so the delays are ours: client errors (AccessDenied,
 * validation, not found) fail at once; the rest is retried `maxAttempts - 1` times with exponential backoff.
 */
function boundedRetry(maxAttempts: number, baseDelayMs: number) {
  const token = (count: number, delay: number): RetryToken => ({ getRetryCount: () => count, getRetryDelay: () => delay });
  return {
    mode: 'standard',
    async acquireInitialRetryToken(_scope: string): Promise<RetryToken> {
      return token(0, 0);
    },
    async refreshRetryTokenForRetry(previous: RetryToken, info: { errorType: string; error?: unknown }): Promise<RetryToken> {
      const next = previous.getRetryCount() + 1;
      if (!RETRYABLE.has(info.errorType) || next >= maxAttempts) throw info.error ?? new Error('not retryable');
      const backoff = Math.min(baseDelayMs * 2 ** (next - 1), baseDelayMs * 20);
      return token(next, Math.round(backoff * (0.5 + Math.random() / 2)));
    },
    recordSuccess(_token: RetryToken): void {},
  };
}

/** Resolves the credential references (each call: a rotated file is read again) and builds the four clients. */
export async function createAwsClients(config: AwsConfig, env: NodeJS.ProcessEnv, timing: RetryTiming): Promise<AwsClients> {
  const maxAttempts = config.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const credentials = config.credentials && {
    accessKeyId: await resolveSecret(config.credentials.accessKeyId, env),
    secretAccessKey: await resolveSecret(config.credentials.secretAccessKey, env),
    ...(config.credentials.sessionToken ? { sessionToken: await resolveSecret(config.credentials.sessionToken, env) } : {}),
  };
  const common = {
    region: config.region,
    maxAttempts,
    retryStrategy: boundedRetry(maxAttempts, timing.baseDelayMs),
    requestHandler: { requestTimeout: timing.requestTimeoutMs, connectionTimeout: timing.requestTimeoutMs },
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  };
  return {
    ssoAdmin: new SSOAdminClient(common),
    identityStore: new IdentitystoreClient(common),
    iam: new IAMClient(common),
    sts: new STSClient(common),
  };
}

/** Frees the clients' sockets. */
export function destroyAwsClients(clients: AwsClients): void {
  clients.ssoAdmin.destroy();
  clients.identityStore.destroy();
  clients.iam.destroy();
  clients.sts.destroy();
}

/**
 * The AWS error code of an SDK error, or undefined for anything else. The query-protocol clients name the wire
 * code `NoSuchEntity` as `NoSuchEntityException`; the suffix is dropped so both protocols compare alike.
 */
export function awsErrorCode(error: unknown): string | undefined {
  if (!error || typeof error !== 'object' || !('$metadata' in error) || !('name' in error)) return undefined;
  const wire = (error as { Code?: unknown }).Code;
  const name = typeof wire === 'string' ? wire : String((error as { name: unknown }).name);
  return name === 'NoSuchEntityException' ? 'NoSuchEntity' : name;
}
