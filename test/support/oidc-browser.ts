/**
 * A browser following a step-up re-login link (issue 12): opens the link on Stint (in-process inject), follows the
 * redirect to the fake OpenID Provider over real HTTP (where the test decides who signs in), and comes back to
 * Stint's callback with the cookie the first answer set — or another browser's cookies, to test refusals.
 */
import type { App } from '../../src/app.ts';

export interface ReLoginVisit {
  /** Stint's answer to the link: 302 to the provider, or a page saying why not. */
  start: { statusCode: number; headers: Record<string, unknown>; body: string };
  /** Stint's answer to the provider's redirect back (null when the link did not redirect). */
  callback: { statusCode: number; headers: Record<string, unknown>; body: string } | null;
  setCookie: string;
  /** The provider's authorization request. */
  sentToProvider: URL | null;
}

export async function followReLoginLink(app: App, url: string, browser: { cookie?: string } = {}): Promise<ReLoginVisit> {
  const start = await app.server.inject({ method: 'GET', url: new URL(url).pathname });
  const setCookie = String(start.headers['set-cookie'] ?? '');
  if (start.statusCode !== 302) return { start, callback: null, setCookie, sentToProvider: null };
  const cookie = browser.cookie ?? setCookie.split(';')[0];
  const sentToProvider = new URL(String(start.headers.location));
  const atProvider = await fetch(sentToProvider, { redirect: 'manual' });
  if (atProvider.status !== 302) throw new Error(`the provider answered ${atProvider.status}: ${await atProvider.text()}`);
  const back = new URL(atProvider.headers.get('location')!);
  if (back.pathname !== '/auth/oidc/callback') throw new Error(`the provider sent the browser to ${back.href}`);
  const callback = await app.server.inject({ method: 'GET', url: back.pathname + back.search, headers: cookie ? { cookie } : {} });
  return { start, callback, setCookie, sentToProvider };
}
