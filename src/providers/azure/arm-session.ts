/**
 * Stint's connection to Azure Resource Manager for one resource config: a credential (a client secret from an
 * `env:`/`file:` reference, else DefaultAzureCredential's chain) and an AuthorizationManagementClient, cached
 * per config. Every ARM call goes through `call`: one timeout per try, the SDK's own retries off and ours on
 * (bounded backoff honouring `Retry-After`, so tests can keep it short), and Azure's errors turned into
 * StintErrors that say what to fix. Nothing secret reaches a message.
 */
import { createHash } from 'node:crypto';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { StintError, isStintError } from '../../domain/errors.ts';
import { resolveSecret } from '../secrets.ts';
import { DEFAULT_ENDPOINT, subscriptionOf, type AzureConfig } from './azure-config.ts';
import { describeArmError } from './arm-errors.ts';

export interface ArmSessionOptions {
  env: NodeJS.ProcessEnv;
  /** First retry delay; doubles each try. @defaultValue 500 */
  retryDelayMs: number;
  /** Cap on one delay, `Retry-After` included. @defaultValue 30_000 */
  maxRetryDelayMs: number;
  /** Per try, token request included. @defaultValue 30_000 */
  callTimeoutMs: number;
  /** PEM certificate(s) to trust instead of the public CAs: only for test fakes, never from a policy file. */
  trustedCa?: string;
}

/** What a call does, for messages: "create the role assignment", and the ARM action it needs. */
export interface ArmOperation {
  what: string;
  action: string;
}

export interface ArmSession {
  client: AuthorizationManagementClient;
  call<T>(op: ArmOperation, work: (options: { abortSignal: AbortSignal }) => Promise<T>): Promise<T>;
}

const DEFAULT_MAX_ATTEMPTS = 4;

export function createSessionCache(options: ArmSessionOptions): (config: AzureConfig) => Promise<ArmSession> {
  const sessions = new Map<string, ArmSession>();
  return async (config) => {
    const secret = config.clientSecret ? await resolveSecret(config.clientSecret, options.env) : undefined;
    // Keyed by the config and a digest of the secret: a rotated secret gets a fresh credential.
    const key = createHash('sha256').update(JSON.stringify([config, secret ?? ''])).digest('hex');
    let session = sessions.get(key);
    if (!session) {
      session = openSession(config, secret, options);
      sessions.set(key, session);
    }
    return session;
  };
}

function openSession(config: AzureConfig, secret: string | undefined, options: ArmSessionOptions): ArmSession {
  const tlsOptions = options.trustedCa ? { ca: options.trustedCa } : undefined;
  // The SDK's retry policy is off (maxRetries 0): `call` retries, with delays the provider controls.
  const common = { tlsOptions, retryOptions: { maxRetries: 0 } };
  const authorityHost = config.authorityHost;
  const credential: TokenCredential = secret
    ? new ClientSecretCredential(config.tenantId!, config.clientId!, secret, { ...common, authorityHost, disableInstanceDiscovery: authorityHost !== undefined })
    : new DefaultAzureCredential({ ...common, authorityHost, tenantId: config.tenantId, managedIdentityClientId: config.clientId });
  const endpoint = config.endpoint ?? DEFAULT_ENDPOINT;
  const audience = config.audience ?? new URL(endpoint).origin;
  const client = new AuthorizationManagementClient(credential, subscriptionOf(config), {
    ...common,
    endpoint,
    credentialScopes: `${audience}/.default`,
  });
  const maxAttempts = config.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const who = config.clientId ? `client ${config.clientId}` : 'the credential from the environment';

  async function call<T>(op: ArmOperation, work: (o: { abortSignal: AbortSignal }) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work({ abortSignal: AbortSignal.timeout(options.callTimeoutMs) });
      } catch (error) {
        if (isStintError(error)) throw error;
        const verdict = describeArmError(error, { op, scope: config.scope, who });
        if (!verdict.transient) throw verdict.error;
        if (attempt >= maxAttempts) {
          throw new StintError('UNAVAILABLE', `${verdict.error.message} (after ${attempt} tries; Stint retries later)`, verdict.error.details);
        }
        const backoff = options.retryDelayMs * 2 ** (attempt - 1);
        await sleep(Math.min(options.maxRetryDelayMs, Math.max(backoff, verdict.retryAfterMs ?? 0)));
      }
    }
  }
  return { client, call };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Azure scope arguments go without the leading slash (the SDK's path template adds one). */
export const armScope = (scope: string) => scope.replace(/^\/+/, '');

/** Whether an SDK error is this HTTP status (and ARM error code). */
export function isStatus(error: unknown, status: number, code?: string): boolean {
  const e = error as { statusCode?: number; code?: string };
  return e?.statusCode === status && (code === undefined || e.code === code);
}
