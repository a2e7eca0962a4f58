/** The CLI's client side: calls the REST API with STINT_URL and STINT_TOKEN; API errors become StintErrors. */
import { StintError, type ErrorCode, ERROR_CODES } from '../domain/errors.ts';

export interface ApiClient {
  call<T>(method: string, path: string, body?: unknown): Promise<T>;
  text(path: string): Promise<string>;
}

export function apiClientFromEnv(env: Record<string, string | undefined> = process.env): ApiClient {
  const base = env.STINT_URL;
  const token = env.STINT_TOKEN;
  if (!base || !token) {
    throw new StintError('UNAUTHENTICATED', 'Set STINT_URL (e.g. http://127.0.0.1:3000) and STINT_TOKEN (a stint_live_ token from `stint token create`)');
  }
  const send = async (method: string, path: string, body?: unknown): Promise<Response> => {
    let response: Response;
    try {
      response = await fetch(new URL(path, base), {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new StintError('UNAVAILABLE', `Cannot reach Stint at ${base}: ${err instanceof Error ? err.message : String(err)}; is the server running?`);
    }
    if (!response.ok) throw await toError(response);
    return response;
  };
  return {
    async call<T>(method: string, path: string, body?: unknown) {
      return (await (await send(method, path, body)).json()) as T;
    },
    async text(path: string) {
      return (await send('GET', path)).text();
    },
  };
}

async function toError(response: Response): Promise<StintError> {
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string; details?: Record<string, unknown> } };
    const code = parsed.error?.code;
    if (code && code in ERROR_CODES) return new StintError(code as ErrorCode, parsed.error?.message ?? code, parsed.error?.details);
  } catch {
    // not JSON: fall through
  }
  return new StintError('INTERNAL', `Stint answered HTTP ${response.status}: ${text.slice(0, 200)}`);
}
