/**
 * The HTTP plumbing the PagerDuty and Opsgenie fakes share: a local server on a free port that records every
 * call (parsed JSON body included) and can be told to answer 429 (with or without `Retry-After`) or a 5xx for
 * the next N calls to a path, before the fake's own handler sees them.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: any;
  at: number;
}

export interface Answer {
  status: number;
  body?: unknown;
}

export interface JsonFake {
  url: string;
  calls: RecordedCall[];
  /** The next `count` calls whose path starts with `path` answer `status` (429: with `Retry-After: retryAfterSec` unless null). */
  throttle(path: string, count: number, options?: { retryAfterSec?: number | null; status?: number }): void;
  /** Every call whose path starts with `path` waits `ms` before being answered. */
  delay(path: string, ms: number): void;
  /** Forgets recorded calls, throttles and delays (between tests). */
  reset(): void;
  close(): Promise<void>;
}

/** `onReset` forgets the fake's own state when the test calls `reset()`. */
export async function startJsonFake(handle: (call: RecordedCall) => Answer, onReset: () => void = () => {}): Promise<JsonFake> {
  const calls: RecordedCall[] = [];
  const throttles: Array<{ path: string; left: number; retryAfterSec: number | null; status: number }> = [];
  const delays = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: any;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      const call: RecordedCall = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, at: Date.now() };
      calls.push(call);
      const send = (answer: Answer, headers: Record<string, string> = {}) => {
        res.writeHead(answer.status, { 'content-type': 'application/json', ...headers });
        res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      };
      const wait = [...delays].find(([p]) => call.path.startsWith(p))?.[1] ?? 0;
      setTimeout(() => {
        const throttle = throttles.find((t) => t.left > 0 && call.path.startsWith(t.path));
        if (throttle) {
          throttle.left--;
          const headers: Record<string, string> = throttle.status === 429 && throttle.retryAfterSec !== null ? { 'retry-after': String(throttle.retryAfterSec) } : {};
          return send({ status: throttle.status, body: { message: throttle.status === 429 ? 'Rate limit exceeded' : 'Internal error' } }, headers);
        }
        send(handle(call));
      }, wait);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    throttle: (path, count, options = {}) => throttles.push({ path, left: count, retryAfterSec: options.retryAfterSec === undefined ? 1 : options.retryAfterSec, status: options.status ?? 429 }),
    delay: (path, ms) => void delays.set(path, ms),
    reset: () => {
      calls.length = 0;
      throttles.length = 0;
      delays.clear();
      onReset();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
