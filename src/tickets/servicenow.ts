/**
 * ServiceNow Table API: a ticket by number (`GET /api/now/table/{table}?sysparm_query=number={key}&…`, display
 * values, empty result: no such ticket) and a work note on it (`PATCH /api/now/table/{table}/{sys_id}`). Basic auth.
 */
import type { TicketInfo } from '../core/ports.ts';
import { StintError } from '../domain/errors.ts';
import { callTicketApi, TICKET_KEY, type TicketHttpOptions } from './ticket-http.ts';

export interface ServiceNowOptions extends TicketHttpOptions {
  url: string;
  user: string;
  password: string;
  /** @defaultValue incident */
  table?: string;
}

interface Row {
  sys_id?: string;
  number?: string;
  short_description?: string;
  state?: string;
}

export class ServiceNowClient {
  readonly #base: string;
  readonly #table: string;
  readonly #basic: { user: string; secret: string };
  readonly #http: TicketHttpOptions;

  constructor({ url, user, password, table = 'incident', ...http }: ServiceNowOptions) {
    this.#base = url.replace(/\/+$/, '');
    this.#table = table;
    this.#basic = { user, secret: password };
    this.#http = http;
  }

  async lookup(key: string): Promise<TicketInfo | null> {
    const row = await this.#find(key);
    if (!row) return null;
    const sysId = row.sys_id ?? '';
    return {
      key: row.number ?? key,
      title: row.short_description ?? '',
      state: row.state ?? '',
      url: `${this.#base}/nav_to.do?uri=${encodeURIComponent(`${this.#table}.do?sys_id=${sysId}`)}`,
    };
  }

  async comment(key: string, text: string): Promise<void> {
    const row = await this.#find(key);
    if (!row?.sys_id) throw new StintError('UNAVAILABLE', `ServiceNow has no ${this.#table} ${key} to add a work note to`, { system: 'ServiceNow' });
    const url = `${this.#base}/api/now/table/${this.#table}/${encodeURIComponent(row.sys_id)}`;
    await callTicketApi({ system: 'ServiceNow', method: 'PATCH', url, basic: this.#basic, body: { work_notes: text } }, this.#http);
  }

  /** The row with this number; the key pattern keeps `^` and `=` (query syntax) out of sysparm_query. */
  async #find(key: string): Promise<Row | null> {
    if (!TICKET_KEY.test(key)) return null;
    const query = new URLSearchParams({
      sysparm_query: `number=${key}`,
      sysparm_fields: 'sys_id,number,short_description,state',
      sysparm_display_value: 'true',
      sysparm_limit: '1',
    });
    const body = (await callTicketApi({ system: 'ServiceNow', method: 'GET', url: `${this.#base}/api/now/table/${this.#table}?${query}`, basic: this.#basic }, this.#http)) as
      | { result?: Row[] }
      | null
      | undefined;
    return body?.result?.[0] ?? null;
  }
}
