/**
 * The one HTTP call both ticket adapters make: Basic auth, a timeout, JSON in and out. A 404 answers null (the
 * ticket does not exist); anything else that is not 2xx, a timeout or a network failure is a StintError
 * UNAVAILABLE naming the system and what happened, never the credentials.
 */
import { StintError } from '../domain/errors.ts';

export interface TicketHttpOptions {
  /** @defaultValue 10 000 ms */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface TicketCall {
  /** For messages: `Jira`, `ServiceNow`. */
  system: string;
  method: 'GET' | 'POST' | 'PATCH';
  url: string;
  /** `user:secret` for the Basic Authorization header. */
  basic: { user: string; secret: string };
  body?: unknown;
}

/** The JSON body of a 2xx answer (undefined when empty); null for a 404. */
export async function callTicketApi(call: TicketCall, options: TicketHttpOptions = {}): Promise<unknown> {
  const { timeoutMs = 10_000, fetch: fetchFn = fetch } = options;
  const scrub = (text: string) => [call.basic.user, call.basic.secret].reduce((t, s) => (s ? t.split(s).join('[redacted]') : t), text);
  const fail = (message: string, status?: number) => new StintError('UNAVAILABLE', scrub(message), { system: call.system, ...(status !== undefined && { status }) });
  let response: Response;
  try {
    response = await fetchFn(call.url, {
      method: call.method,
      headers: {
        Authorization: `Basic ${Buffer.from(`${call.basic.user}:${call.basic.secret}`).toString('base64')}`,
        Accept: 'application/json',
        ...(call.body !== undefined && { 'Content-Type': 'application/json' }),
      },
      ...(call.body !== undefined && { body: JSON.stringify(call.body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const why = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError') ? `no answer within ${timeoutMs} ms` : err instanceof Error ? err.message : String(err);
    throw fail(`${call.system} cannot be reached (${why}); no ticket could be checked, try again later`);
  }
  const text = await response.text();
  if (response.status === 404) return null;
  if (response.status === 401 || response.status === 403) {
    throw fail(`${call.system} refused Stint's credentials (HTTP ${response.status}); an admin should check the tickets.${call.system.toLowerCase()} secrets`, response.status);
  }
  if (!response.ok) throw fail(`${call.system} answered HTTP ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}; try again later`, response.status);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw fail(`${call.system} answered something that is not JSON`);
  }
}

/** Ticket keys as the systems write them (`INC-1234`, `INC0012345`); anything else cannot exist there. */
export const TICKET_KEY = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
