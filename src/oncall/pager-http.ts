/**
 * The one HTTP call both pager adapters make: a timeout on every attempt, 429 and 5xx (and network failures)
 * retried at most `maxRetries` times — after `Retry-After` when the API sends one, else 1 s, 2 s, 4 s — and any
 * other 4xx thrown at once with the API's own message. Secrets given in `secrets` never reach an error message.
 */
import { StintError } from '../domain/errors.ts';

export type Sleep = (ms: number) => Promise<void>;

/** What every adapter accepts besides its credentials; tests pass a recording `sleep`. */
export interface PagerHttpOptions {
  /** @defaultValue 10 000 ms per attempt */
  timeoutMs?: number;
  /** @defaultValue 3 */
  maxRetries?: number;
  sleep?: Sleep;
  fetch?: typeof fetch;
}

export interface PagerCall {
  /** For messages: `PagerDuty REST API`, `Opsgenie Alert API`, … */
  api: string;
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  /** The env var holding the credential, named (never its value) when the API refuses it. */
  credential: string;
  /** Values to scrub from anything that ends up in an error (tokens, keys). */
  secrets: Array<string | undefined>;
  /** The API's error text out of a failed answer's JSON body. */
  errorText(body: unknown): string | undefined;
}

const BACKOFF_MS = [1000, 2000, 4000];
/** A Retry-After longer than this is capped: a notifier must not hold a job for minutes. */
const MAX_RETRY_AFTER_MS = 60_000;

const defaultSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function retryAfterMs(header: string | null, attempt: number): number {
  const fallback = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!;
  if (!header) return fallback;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(header);
  return Number.isNaN(date) ? fallback : Math.min(Math.max(0, date - Date.now()), MAX_RETRY_AFTER_MS);
}

function scrub(text: string, secrets: Array<string | undefined>): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('[redacted]');
  return out;
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.slice(0, 500);
  }
}

/** Performs `call`; resolves with the status and JSON body of a 2xx answer, throws a StintError otherwise. */
export async function callPagerApi(call: PagerCall, options: PagerHttpOptions = {}): Promise<{ status: number; body: unknown }> {
  const { timeoutMs = 10_000, maxRetries = 3, sleep = defaultSleep, fetch: fetchFn = fetch } = options;
  const fail = (code: 'UNAVAILABLE' | 'CONFIG_INVALID', message: string, status?: number) =>
    new StintError(code, scrub(message, call.secrets), { api: call.api, ...(status !== undefined && { status }) });
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await fetchFn(call.url, {
        method: call.method,
        headers: call.headers,
        ...(call.body !== undefined && { body: JSON.stringify(call.body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const why = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError') ? `no answer within ${timeoutMs} ms` : err instanceof Error ? err.message : String(err);
      if (attempt < maxRetries) {
        await sleep(retryAfterMs(null, attempt));
        continue;
      }
      throw fail('UNAVAILABLE', `${call.api} unreachable after ${maxRetries} retries: ${why}`);
    }
    const body = await readJson(response);
    if (response.ok) return { status: response.status, body };
    const retryable = response.status === 429 || response.status >= 500;
    if (retryable && attempt < maxRetries) {
      await sleep(retryAfterMs(response.headers.get('retry-after'), attempt));
      continue;
    }
    const detail = call.errorText(body);
    const said = detail ? `: ${detail}` : '';
    if (retryable) throw fail('UNAVAILABLE', `${call.api} answered HTTP ${response.status} after ${maxRetries} retries${said}; try again later`, response.status);
    if (response.status === 401 || response.status === 403) {
      throw fail('CONFIG_INVALID', `${call.api} refused the credentials (HTTP ${response.status})${said}: check ${call.credential}`, response.status);
    }
    throw fail('UNAVAILABLE', `${call.api} refused the call (HTTP ${response.status})${said}`, response.status);
  }
}

/** `text` cut to `max` characters, with an ellipsis when cut (API field limits). */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
