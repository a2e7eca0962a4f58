/**
 * One logical webhook call: POST a signed JSON event, retrying what may succeed later (network errors,
 * timeouts, 429 honouring Retry-After up to a cap, 5xx) with exponential backoff up to `maxAttempts`; other
 * answers are permanent and throw at once. Every attempt is re-signed with a fresh timestamp (a receiver
 * rejects old ones) but keeps the event `id` and the `Idempotency-Key`, so the receiver can dedupe retries.
 * Messages name the URL without its query and quote at most 200 characters of the receiver's answer, with any
 * secret or signature scrubbed; they never carry the key.
 */
import { StintError } from '../../domain/errors.ts';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature.ts';

export const WEBHOOK_EVENTS = ['grant', 'revoke', 'extend', 'check'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The JSON body, `sentAt` aside (set per attempt). */
export interface WebhookPayload {
  event: WebhookEvent;
  /** One logical call (the same across its retries). */
  id: string;
  requestId: string;
  resourceId: string;
  principalId: string;
  account: string | null;
  expiresAt: string;
  /** The receiver's own ids from its grant answer (revoke, extend, check). */
  handle?: Record<string, string | number>;
}

export interface DeliveryTuning {
  /** First retry delay; doubles per attempt (with jitter). @defaultValue 500 */
  retryBaseMs: number;
  /** Cap of one retry delay, Retry-After included. @defaultValue 30_000 */
  retryMaxMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
  userAgent: string;
}

export interface DeliveryTarget {
  url: string;
  secret: string;
  /** Extra headers, values already resolved. */
  headers: Record<string, string>;
  timeoutMs: number;
  maxAttempts: number;
}

export interface DeliveryAnswer {
  status: number;
  body: string;
}

const EXCERPT = 200;

/** The URL as messages show it: no query or fragment (they may carry tokens). */
export function shownUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

function excerpt(body: string, secrets: string[]): string {
  let text = body;
  for (const secret of secrets) if (secret.length >= 4) text = text.replaceAll(secret, '***');
  text = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text || '(empty body)';
}

/** Retry-After as milliseconds (delta-seconds or an HTTP date), or null when absent or unreadable. */
function retryAfterMs(value: string | null, now: Date): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now.getTime());
}

function backoffMs(attempt: number, tuning: DeliveryTuning): number {
  const base = tuning.retryBaseMs * 2 ** (attempt - 1);
  // Up to 25 % jitter, so receivers recovering from an outage do not get every retry at once.
  return Math.min(tuning.retryMaxMs, Math.round(base * (1 + Math.random() * 0.25)));
}

/**
 * POSTs `payload` until a 2xx (returned) or a permanent answer / the last attempt (thrown: StintError UNAVAILABLE
 * with `details.permanent` and `details.maybeApplied` — whether some attempt may have been done by the receiver).
 */
export async function deliver(target: DeliveryTarget, payload: WebhookPayload, idempotencyKey: string, tuning: DeliveryTuning): Promise<DeliveryAnswer> {
  const where = `webhook ${shownUrl(target.url)}`;
  let lastProblem = '';
  // Whether an earlier attempt may have reached the receiver and been done (no answer, or a 5xx).
  let maybeApplied = false;
  for (let attempt = 1; attempt <= target.maxAttempts; attempt++) {
    const now = tuning.now();
    const timestamp = Math.floor(now.getTime() / 1000);
    const body = JSON.stringify({ ...payload, sentAt: now.toISOString() });
    const signature = signatureHeader(target.secret, timestamp, body);
    const secrets = [target.secret, signature.slice(signature.indexOf('v1=') + 3), ...Object.values(target.headers)];
    let waitMs: number;
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers: {
          ...target.headers,
          'Content-Type': 'application/json',
          'User-Agent': tuning.userAgent,
          [SIGNATURE_HEADER]: signature,
          'Idempotency-Key': idempotencyKey,
        },
        body,
        // A redirect would re-send the signed body and the auth headers elsewhere: refused, not followed.
        redirect: 'manual',
        signal: AbortSignal.timeout(target.timeoutMs),
      });
      const text = await response.text();
      if (response.status >= 200 && response.status < 300) return { status: response.status, body: text };
      const answer = `${payload.event} answered ${response.status}: ${excerpt(text, secrets)}`;
      if (response.status === 429 || response.status >= 500) {
        lastProblem = answer;
        maybeApplied ||= response.status >= 500;
        const asked = response.status === 429 ? retryAfterMs(response.headers.get('retry-after'), now) : null;
        waitMs = asked === null ? backoffMs(attempt, tuning) : Math.min(asked, tuning.retryMaxMs);
      } else {
        const fix =
          response.status === 401 || response.status === 403
            ? 'check that the receiver and Stint share the same signing key and the extra auth headers are right'
            : response.status >= 300 && response.status < 400
              ? 'point url at the final address (redirects are not followed)'
              : 'fix the receiver or the resource configuration';
        throw new StintError('UNAVAILABLE', `${where}: ${answer} (permanent, not retried): ${fix}`, { status: response.status, permanent: true, maybeApplied });
      }
    } catch (error) {
      if (error instanceof StintError) throw error;
      const name = (error as { name?: string }).name;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      lastProblem =
        name === 'TimeoutError' || name === 'AbortError'
          ? `${payload.event} got no answer within ${target.timeoutMs} ms`
          : `${payload.event} could not be sent (${cause?.code ?? cause?.message ?? (error as Error).message ?? 'network error'})`;
      maybeApplied = true;
      waitMs = backoffMs(attempt, tuning);
    }
    if (attempt < target.maxAttempts) await tuning.sleep(waitMs);
  }
  throw new StintError('UNAVAILABLE', `${where}: ${lastProblem}; gave up after ${target.maxAttempts} attempt(s); check that the receiver is up`, {
    attempts: target.maxAttempts,
    maybeApplied,
  });
}
