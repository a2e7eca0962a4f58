/**
 * The `webhook` provider (DESIGN.md section 7): for systems Stint has no provider for, each grant, extend,
 * revoke and check is a signed JSON POST to the resource's receiver, which does the work and answers 2xx.
 * Idempotency is the receiver's dedupe by `Idempotency-Key` (one key per logical call, the same across
 * retries and across a retried grant job); reference counting stays on Stint's side: when another active
 * request still needs the access, or the receiver said the person already had it (`preexisting`), revoke sends
 * nothing. With `check: false` presence comes from Stint's own record, not the receiver (see `check`).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { StintError } from '../../domain/errors.ts';
import type { GrantTarget, Provider } from '../../core/ports.ts';
import { resolveSecret } from '../secrets.ts';
import { WEBHOOK_DEFAULTS, parseWebhookConfig, type WebhookConfig } from './webhook-config.ts';
import { deliver, shownUrl, type DeliveryTarget, type DeliveryTuning, type WebhookEvent, type WebhookPayload } from './webhook-delivery.ts';
import { parseStoredHandle, readCheckAnswer, readGrantAnswer, type WebhookHandle } from './webhook-handle.ts';

export interface WebhookProviderOptions {
  /** Where `env:` references are read. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** First retry delay, doubling. @defaultValue 500 */
  retryBaseMs?: number;
  /** Cap of one retry delay, a receiver's Retry-After included. @defaultValue 30_000 */
  retryMaxMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Signature timestamps, `sentAt` and the `check: false` record. @defaultValue the system clock */
  now?: () => Date;
  /** Sent as `User-Agent: Stint/<version>`. @defaultValue the version in package.json */
  version?: string;
}

/** How many revokes the `check: false` record remembers (oldest forgotten first). */
const REVOKED_MEMORY = 10_000;

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function createWebhookProvider(options: WebhookProviderOptions = {}): Provider {
  const env = options.env ?? process.env;
  const tuning: DeliveryTuning = {
    retryBaseMs: options.retryBaseMs ?? 500,
    retryMaxMs: options.retryMaxMs ?? 30_000,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    now: options.now ?? (() => new Date()),
    userAgent: `Stint/${options.version ?? packageVersion()}`,
  };
  // Only for `check: false`: the grants this process saw revoked (the receiver cannot be asked).
  const revoked = new Set<string>();
  const grantKey = (handle: WebhookHandle) => `${handle.requestId}\u0000${handle.resourceId}`;

  async function targetOf(config: WebhookConfig): Promise<DeliveryTarget> {
    const headers: Record<string, string> = {};
    for (const [name, ref] of Object.entries(config.headers ?? {})) headers[name] = await resolveSecret(ref, env);
    return {
      url: config.url,
      secret: await resolveSecret(config.secret, env),
      headers,
      timeoutMs: (config.timeoutSec ?? WEBHOOK_DEFAULTS.timeoutSec) * 1000,
      maxAttempts: config.maxAttempts ?? WEBHOOK_DEFAULTS.maxAttempts,
    };
  }

  /**
   * One logical call. The key is per request, resource and event — a request may hold several webhook
   * resources — plus the new expiry for extend (each extension is a new call) and the delivery id for check
   * (a check is a fresh question, never a cached answer).
   */
  async function send(config: WebhookConfig, event: WebhookEvent, handle: WebhookHandle) {
    const id = randomUUID();
    const payload: WebhookPayload = {
      event,
      id,
      requestId: handle.requestId,
      resourceId: handle.resourceId,
      principalId: handle.principalId,
      account: handle.account,
      expiresAt: handle.expiresAt,
      ...(event !== 'grant' && handle.receiver ? { handle: handle.receiver } : {}),
    };
    const base = `${handle.requestId}:${handle.resourceId}:${event}`;
    const key = event === 'extend' ? `${base}:${Date.parse(handle.expiresAt)}` : event === 'check' ? `${base}:${id}` : base;
    return deliver(await targetOf(config), payload, key, tuning);
  }

  async function revokeWith(config: WebhookConfig, handle: WebhookHandle): Promise<void> {
    await send(config, 'revoke', handle);
    if (revoked.size >= REVOKED_MEMORY) revoked.delete(revoked.values().next().value!);
    revoked.add(grantKey(handle));
  }

  /** Sends a revoke after a failed grant; returns the error to throw, saying whether the access may remain. */
  async function takeBack(config: WebhookConfig, handle: WebhookHandle, problem: string, why: string): Promise<StintError> {
    try {
      await revokeWith(config, handle);
      return new StintError('UNAVAILABLE', `${problem}; a revoke was sent ${why}`);
    } catch (error) {
      const who = handle.account ?? handle.principalId;
      return new StintError(
        'UNAVAILABLE',
        `${problem}; the revoke sent ${why} failed too (${(error as Error).message}): check by hand that ${who} does not hold ${handle.resourceId} on the receiver`,
        { maybeHeld: true },
      );
    }
  }

  return {
    type: 'webhook',
    validate(config) {
      parseWebhookConfig(config);
    },
    async grant(raw, target: GrantTarget) {
      const config = parseWebhookConfig(raw);
      const handle: WebhookHandle = {
        requestId: target.requestId,
        resourceId: target.resourceId,
        principalId: target.principalId,
        account: target.account ?? null,
        expiresAt: target.expiresAt.toISOString(),
        preexisting: false,
      };
      let body: string;
      try {
        body = (await send(config, 'grant', handle)).body;
      } catch (error) {
        // A refusal, a 429 or a call that never left did nothing. After a timeout or a 5xx the receiver may have
        // granted without Stint hearing it, and a failed grant leaves Stint no handle to revoke later: take it back
        // now (a no-op on the receiver if it was never applied).
        if ((error as StintError).details?.maybeApplied !== true) throw error;
        throw await takeBack(config, handle, (error as Error).message, 'in case the receiver applied the grant');
      }
      const answer = readGrantAnswer(body);
      if (!answer.ok) {
        const problem = `webhook ${shownUrl(config.url)}: the grant answer was refused (${answer.problem}); fix the receiver`;
        // The receiver granted but its answer cannot be kept: take the access back rather than lose track of it.
        if (answer.preexisting) throw new StintError('UNAVAILABLE', `${problem}; nothing was revoked (the receiver said the access was preexisting)`);
        throw await takeBack(config, handle, problem, 'to take the grant back');
      }
      return { ...handle, preexisting: answer.preexisting, ...(answer.receiver ? { receiver: answer.receiver } : {}) };
    },
    async extend(raw, data, newExpiry) {
      const config = parseWebhookConfig(raw);
      const handle = { ...parseStoredHandle(data), expiresAt: newExpiry.toISOString() };
      // Access the person held before Stint has no Stint expiry on the receiver's side.
      if (!handle.preexisting) await send(config, 'extend', handle);
      return handle;
    },
    async revoke(raw, data, { stillNeeded }) {
      const config = parseWebhookConfig(raw);
      const handle = parseStoredHandle(data);
      if (stillNeeded || handle.preexisting) return;
      await revokeWith(config, handle);
    },
    async check(raw, data) {
      const config = parseWebhookConfig(raw);
      const handle = parseStoredHandle(data);
      if (config.check ?? WEBHOOK_DEFAULTS.check) return readCheckAnswer((await send(config, 'check', handle)).body, `webhook ${shownUrl(config.url)}`);
      // The receiver cannot be asked: Stint's own record is the only answer — present until Stint's revoke
      // succeeded here or the grant's time is over. Changes made on the receiver's side are not seen.
      return revoked.has(grantKey(handle)) || Date.parse(handle.expiresAt) <= tuning.now().getTime() ? 'absent' : 'present';
    },
    describe(raw) {
      const config = parseWebhookConfig(raw);
      const where = new URL(config.url).host;
      return config.check === false ? `Webhook: access managed by ${where} (presence not verified: the receiver does not answer checks)` : `Webhook: access managed by ${where}`;
    },
  };
}
