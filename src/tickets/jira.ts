/**
 * Jira Cloud REST API v3: `GET /rest/api/3/issue/{key}?fields=summary,status` (404: no such issue) and
 * `POST /rest/api/3/issue/{key}/comment` with an Atlassian Document Format body. Basic auth with the account's
 * email and an API token.
 */
import type { TicketInfo } from '../core/ports.ts';
import { StintError } from '../domain/errors.ts';
import { callTicketApi, TICKET_KEY, type TicketHttpOptions } from './ticket-http.ts';

export interface JiraOptions extends TicketHttpOptions {
  url: string;
  email: string;
  token: string;
}

export class JiraClient {
  readonly #base: string;
  readonly #basic: { user: string; secret: string };
  readonly #http: TicketHttpOptions;

  constructor({ url, email, token, ...http }: JiraOptions) {
    this.#base = url.replace(/\/+$/, '');
    this.#basic = { user: email, secret: token };
    this.#http = http;
  }

  async lookup(key: string): Promise<TicketInfo | null> {
    if (!TICKET_KEY.test(key)) return null;
    const body = (await callTicketApi({ system: 'Jira', method: 'GET', url: `${this.#base}/rest/api/3/issue/${encodeURIComponent(key)}?fields=summary,status`, basic: this.#basic }, this.#http)) as
      | { key?: string; fields?: { summary?: string; status?: { name?: string } } }
      | null
      | undefined;
    if (!body) return null;
    const issueKey = body.key ?? key;
    return { key: issueKey, title: body.fields?.summary ?? '', state: body.fields?.status?.name ?? '', url: `${this.#base}/browse/${issueKey}` };
  }

  async comment(key: string, text: string): Promise<void> {
    const doc = { type: 'doc', version: 1, content: [{ type: 'paragraph', content: [{ type: 'text', text }] }] };
    const url = `${this.#base}/rest/api/3/issue/${encodeURIComponent(key)}/comment`;
    const answer = TICKET_KEY.test(key) ? await callTicketApi({ system: 'Jira', method: 'POST', url, basic: this.#basic, body: { body: doc } }, this.#http) : null;
    if (answer === null) throw new StintError('UNAVAILABLE', `Jira has no issue ${key} to comment on`, { system: 'Jira' });
  }
}
