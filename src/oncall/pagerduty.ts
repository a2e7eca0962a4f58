/**
 * PagerDuty: who is on call for a schedule (REST API v2 `GET /oncalls`, `PAGERDUTY_TOKEN`) and pages through
 * Events API v2 (`POST /v2/enqueue`, `PAGERDUTY_ROUTING_KEY`). A trigger with a `dedup_key` that PagerDuty
 * already has open joins that alert instead of paging again.
 */
import { StintError } from '../domain/errors.ts';
import { callPagerApi, clip, type PagerHttpOptions } from './pager-http.ts';

export const PAGERDUTY_API_URL = 'https://api.pagerduty.com';
export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com';
/** Events API v2 limits. */
export const PAGERDUTY_SUMMARY_MAX = 1024;
export const PAGERDUTY_DEDUP_KEY_MAX = 255;
const PAGE_LIMIT = 100;
const MAX_PAGES = 20;

export interface PagerDutyOptions extends PagerHttpOptions {
  /** REST API token (on-call look-ups). */
  token?: string;
  /** Events API v2 integration key of the service to page. */
  routingKey?: string;
  /** @defaultValue PAGERDUTY_API_URL */
  apiUrl?: string;
  /** @defaultValue PAGERDUTY_EVENTS_URL */
  eventsUrl?: string;
}

export type PagerDutySeverity = 'critical' | 'error' | 'warning' | 'info';

export interface PagerDutyEvent {
  dedupKey: string;
  summary: string;
  source: string;
  severity: PagerDutySeverity;
  timestamp: Date;
  component?: string;
  customDetails: Record<string, unknown>;
  links?: Array<{ href: string; text: string }>;
}

interface OnCallEntry {
  user?: { email?: string } | null;
  start?: string | null;
  end?: string | null;
}

/** PagerDuty's error text: REST `{error:{message,errors}}`, Events `{message,errors}`. */
function pagerDutyError(body: unknown): string | undefined {
  if (typeof body === 'string') return body || undefined;
  if (!body || typeof body !== 'object') return undefined;
  const b = body as { error?: { message?: string; errors?: unknown }; message?: string; errors?: unknown };
  const message = b.error?.message ?? b.message;
  const errors = b.error?.errors ?? b.errors;
  const list = Array.isArray(errors) ? errors.filter((e) => typeof e === 'string').join('; ') : '';
  return [message, list].filter(Boolean).join(' — ') || undefined;
}

const covers = (entry: OnCallEntry, at: Date) =>
  (!entry.start || Date.parse(entry.start) <= at.getTime()) && (!entry.end || at.getTime() < Date.parse(entry.end));

export class PagerDutyClient {
  readonly #token: string | undefined;
  readonly #routingKey: string | undefined;
  readonly #apiUrl: string;
  readonly #eventsUrl: string;
  readonly #http: PagerHttpOptions;

  constructor(options: PagerDutyOptions) {
    const { token, routingKey, apiUrl = PAGERDUTY_API_URL, eventsUrl = PAGERDUTY_EVENTS_URL, ...http } = options;
    this.#token = token;
    this.#routingKey = routingKey;
    this.#apiUrl = apiUrl.replace(/\/+$/, '');
    this.#eventsUrl = eventsUrl.replace(/\/+$/, '');
    this.#http = http;
  }

  /** Whether on-call look-ups can work (a REST token is set). */
  get canLookUp(): boolean {
    return this.#token !== undefined;
  }

  /** Whether pages can be sent (a routing key is set). */
  get canPage(): boolean {
    return this.#routingKey !== undefined;
  }

  /** The emails of everyone on call in `scheduleId` at the instant `at` (any escalation level), lower-cased. */
  async onCallEmails(scheduleId: string, at: Date): Promise<string[]> {
    const token = this.#token;
    if (!token) throw new StintError('CONFIG_INVALID', 'PagerDuty on-call look-ups need PAGERDUTY_TOKEN (a REST API key): set it and restart');
    const emails = new Set<string>();
    // A one-second window: PagerDuty returns every on-call overlapping it; `covers` keeps those holding `at`.
    const until = new Date(at.getTime() + 1000);
    for (let page = 0, more = true; more && page < MAX_PAGES; page++) {
      const query = new URLSearchParams({ since: at.toISOString(), until: until.toISOString(), limit: String(PAGE_LIMIT), offset: String(page * PAGE_LIMIT) });
      query.append('schedule_ids[]', scheduleId);
      query.append('include[]', 'users');
      const { body } = await callPagerApi(
        {
          api: 'PagerDuty REST API',
          method: 'GET',
          url: `${this.#apiUrl}/oncalls?${query}`,
          headers: {
            Authorization: `Token token=${token}`,
            Accept: 'application/vnd.pagerduty+json;version=2',
            'Content-Type': 'application/json',
          },
          credential: 'PAGERDUTY_TOKEN',
          secrets: [token],
          errorText: pagerDutyError,
        },
        this.#http,
      );
      const answer = (body ?? {}) as { oncalls?: OnCallEntry[]; more?: boolean };
      for (const entry of answer.oncalls ?? []) {
        const email = entry.user?.email;
        if (email && covers(entry, at)) emails.add(email.toLowerCase());
      }
      more = answer.more === true;
    }
    return [...emails];
  }

  /** Triggers an Events API v2 alert (HTTP 202); PagerDuty merges a trigger whose dedup key is still open. */
  async trigger(event: PagerDutyEvent): Promise<void> {
    const routingKey = this.#routingKey;
    if (!routingKey) throw new StintError('CONFIG_INVALID', 'PagerDuty pages need PAGERDUTY_ROUTING_KEY (an Events API v2 integration key): set it and restart');
    await callPagerApi(
      {
        api: 'PagerDuty Events API',
        method: 'POST',
        url: `${this.#eventsUrl}/v2/enqueue`,
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: {
          routing_key: routingKey,
          event_action: 'trigger',
          dedup_key: clip(event.dedupKey, PAGERDUTY_DEDUP_KEY_MAX),
          payload: {
            summary: clip(event.summary, PAGERDUTY_SUMMARY_MAX),
            source: event.source,
            severity: event.severity,
            timestamp: event.timestamp.toISOString(),
            ...(event.component !== undefined && { component: event.component }),
            custom_details: event.customDetails,
          },
          ...(event.links && event.links.length > 0 && { links: event.links }),
        },
        credential: 'PAGERDUTY_ROUTING_KEY',
        secrets: [routingKey],
        errorText: pagerDutyError,
      },
      this.#http,
    );
  }
}
