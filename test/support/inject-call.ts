/** The `call(who, method, url, body)` of the API harnesses: an injected request as `who` (their token), JSON parsed when it is JSON. */
import type { App } from '../../src/app.ts';

export type InjectCall = (who: string, method: string, url: string, body?: unknown) => Promise<{ status: number; body: any; headers: Record<string, unknown> }>;

/**
 * `who` names a token in `tokens`; with `rawBearer`, any other non-empty `who` is sent as the bearer itself (to
 * try made-up or foreign tokens). A string body is sent as it is (malformed JSON tests).
 */
export function injectCall(app: App, tokens: Record<string, string>, options: { rawBearer?: boolean } = {}): InjectCall {
  return async (who, method, url, body) => {
    const bearer = tokens[who] ?? (options.rawBearer && who ? who : undefined);
    const response = await app.server.inject({
      method: method as 'GET',
      url,
      headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    let parsed: unknown = response.body;
    try {
      parsed = JSON.parse(response.body);
    } catch {
      // NDJSON or text
    }
    return { status: response.statusCode, body: parsed, headers: response.headers };
  };
}
