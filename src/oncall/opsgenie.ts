/**
 * Opsgenie: who is on call for a schedule (`GET /v2/schedules/<name>/on-calls`, flat: usernames, which are
 * emails) and alerts (`POST /v2/alerts`, HTTP 202: processed asynchronously). An alert whose `alias` is still
 * open is de-duplicated by Opsgenie instead of notifying again. Both use `OPSGENIE_API_KEY`.
 */
import { StintError } from '../domain/errors.ts';
import { callPagerApi, clip, type PagerHttpOptions } from './pager-http.ts';

export const OPSGENIE_API_URL = 'https://api.opsgenie.com';
/** Alert API limits. */
export const OPSGENIE_MESSAGE_MAX = 130;
export const OPSGENIE_ALIAS_MAX = 512;
export const OPSGENIE_DESCRIPTION_MAX = 15_000;
export const OPSGENIE_PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5'] as const;
export type OpsgeniePriority = (typeof OPSGENIE_PRIORITIES)[number];

export interface OpsgenieOptions extends PagerHttpOptions {
  apiKey?: string;
  /** @defaultValue OPSGENIE_API_URL (EU accounts: https://api.eu.opsgenie.com) */
  apiUrl?: string;
}

export interface OpsgenieAlert {
  message: string;
  /** De-duplication key. */
  alias: string;
  description?: string;
  priority: OpsgeniePriority;
  /** Schedules notified by the alert (by name). */
  schedules?: string[];
  details?: Record<string, string>;
  source?: string;
  tags?: string[];
}

function opsgenieError(body: unknown): string | undefined {
  if (typeof body === 'string') return body || undefined;
  if (!body || typeof body !== 'object') return undefined;
  const b = body as { message?: string; errors?: Record<string, unknown> };
  const errors = b.errors && typeof b.errors === 'object' ? Object.values(b.errors).filter((e) => typeof e === 'string').join('; ') : '';
  return [b.message, errors].filter(Boolean).join(' — ') || undefined;
}

/** `2026-04-08T12:00:00Z`: the `yyyy-MM-dd'T'HH:mm:ssZ` form Opsgenie documents. */
const opsgenieDate = (at: Date) => `${at.toISOString().slice(0, 19)}Z`;

export class OpsgenieClient {
  readonly #apiKey: string | undefined;
  readonly #apiUrl: string;
  readonly #http: PagerHttpOptions;

  constructor(options: OpsgenieOptions) {
    const { apiKey, apiUrl = OPSGENIE_API_URL, ...http } = options;
    this.#apiKey = apiKey;
    this.#apiUrl = apiUrl.replace(/\/+$/, '');
    this.#http = http;
  }

  get configured(): boolean {
    return this.#apiKey !== undefined;
  }

  #key(): string {
    if (!this.#apiKey) throw new StintError('CONFIG_INVALID', 'Opsgenie needs OPSGENIE_API_KEY (an API integration key): set it and restart');
    return this.#apiKey;
  }

  #headers(key: string): Record<string, string> {
    return { Authorization: `GenieKey ${key}`, 'Content-Type': 'application/json', Accept: 'application/json' };
  }

  /** The emails (Opsgenie usernames) on call in the schedule named `schedule` at `at`, lower-cased. */
  async onCallEmails(schedule: string, at: Date): Promise<string[]> {
    const key = this.#key();
    const query = new URLSearchParams({ scheduleIdentifierType: 'name', flat: 'true', date: opsgenieDate(at) });
    const { body } = await callPagerApi(
      {
        api: 'Opsgenie Who-is-on-call API',
        method: 'GET',
        url: `${this.#apiUrl}/v2/schedules/${encodeURIComponent(schedule)}/on-calls?${query}`,
        headers: this.#headers(key),
        credential: 'OPSGENIE_API_KEY',
        secrets: [key],
        errorText: opsgenieError,
      },
      this.#http,
    );
    const recipients = (body as { data?: { onCallRecipients?: unknown } } | undefined)?.data?.onCallRecipients;
    if (!Array.isArray(recipients)) return [];
    return [...new Set(recipients.filter((r): r is string => typeof r === 'string').map((r) => r.toLowerCase()))];
  }

  /** Creates an alert (HTTP 202), cutting each field to Opsgenie's limit. */
  async createAlert(alert: OpsgenieAlert): Promise<void> {
    const key = this.#key();
    await callPagerApi(
      {
        api: 'Opsgenie Alert API',
        method: 'POST',
        url: `${this.#apiUrl}/v2/alerts`,
        headers: this.#headers(key),
        body: {
          message: clip(alert.message, OPSGENIE_MESSAGE_MAX),
          alias: clip(alert.alias, OPSGENIE_ALIAS_MAX),
          ...(alert.description !== undefined && { description: clip(alert.description, OPSGENIE_DESCRIPTION_MAX) }),
          priority: alert.priority,
          ...(alert.schedules && alert.schedules.length > 0 && { responders: alert.schedules.map((name) => ({ type: 'schedule', name })) }),
          ...(alert.details && { details: alert.details }),
          ...(alert.source !== undefined && { source: alert.source }),
          ...(alert.tags && { tags: alert.tags }),
        },
        credential: 'OPSGENIE_API_KEY',
        secrets: [key],
        errorText: opsgenieError,
      },
      this.#http,
    );
  }
}
