/**
 * A resource server that lets Stint decide (a policy enforcement point), in Express 5. An agent calls it with the
 * stint_jit_ credential Stint revealed to it (`Authorization: Bearer stint_jit_…`); before serving a route, the
 * middleware asks Stint's `POST /api/v1/introspect` (RFC 7662) with the resource server's own token, which needs
 * only the `introspect` scope (`stint token create --for <service account> --scopes introspect`). A credential
 * that is not active is 401, one without the route's scope is 403, and when Stint cannot be asked the route is
 * refused (503): fail closed. Stint answers a revoked or expired credential inactive within a second.
 *
 * Run: STINT_URL=http://127.0.0.1:3000 STINT_INTROSPECT_TOKEN=stint_live_… PORT=4000 npx tsx examples/pep-express.ts
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';

export interface PepOptions {
  /** Where Stint answers, e.g. http://127.0.0.1:3000. */
  stintUrl: string;
  /** The resource server's stint_live_ token with the `introspect` scope. */
  introspectToken: string;
  /** How long to wait for Stint. @defaultValue 2000 */
  timeoutMs?: number;
}

/** What Stint says about a live credential (RFC 7662 fields). */
export interface Introspection {
  active: true;
  scope: string;
  exp: number;
  sub: string;
  request_id: string;
  client_id?: string;
}

const refuse = (res: Response, status: number, code: string, message: string) => {
  if (status === 401) res.set('WWW-Authenticate', 'Bearer realm="stint", error="invalid_token"');
  res.status(status).json({ error: { code, message } });
};

/** Middleware: continue only for an active credential that carries `scope`; the answer lands in `res.locals.stint`. */
export function requireStintScope(scope: string, options: PepOptions) {
  const endpoint = new URL('/api/v1/introspect', options.stintUrl).toString();
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const presented = /^Bearer\s+(stint_jit_\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (!presented) return refuse(res, 401, 'UNAUTHENTICATED', 'Send the credential Stint revealed to you as "Authorization: Bearer stint_jit_…"');

    let answer: { active: boolean } & Partial<Introspection>;
    try {
      const asked = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${options.introspectToken}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: presented, scope }).toString(),
        signal: AbortSignal.timeout(options.timeoutMs ?? 2_000),
      });
      if (!asked.ok) throw new Error(`Stint answered HTTP ${asked.status}`);
      answer = (await asked.json()) as typeof answer;
    } catch (err) {
      // Never the credential in a log line: only why Stint could not be asked.
      console.error(`pep: introspection failed (${err instanceof Error ? err.message : String(err)}); refusing`);
      return refuse(res, 503, 'UNAVAILABLE', 'Access cannot be checked right now; try again shortly');
    }
    if (!answer.active) return refuse(res, 401, 'UNAUTHENTICATED', 'This credential is not active (expired, revoked or unknown); ask Stint for access again');
    if (!(answer.scope ?? '').split(' ').includes(scope)) return refuse(res, 403, 'FORBIDDEN', `This credential does not carry the "${scope}" scope; request it from Stint`);
    res.locals.stint = answer;
    next();
  };
}

/** A small orders API: reading needs `data:read`, writing needs `data:write`. */
export function createResourceServer(options: PepOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json());
  const orders: Array<{ id: number; item: string; by: string }> = [];
  app.get('/orders', requireStintScope('data:read', options), (_req, res) => {
    res.json({ orders });
  });
  app.post('/orders', requireStintScope('data:write', options), (req, res) => {
    const who = (res.locals.stint as Introspection).sub;
    const order = { id: orders.length + 1, item: String((req.body as { item?: unknown } | undefined)?.item ?? 'unnamed'), by: who };
    orders.push(order);
    res.status(201).json(order);
  });
  return app;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const stintUrl = process.env.STINT_URL;
  const introspectToken = process.env.STINT_INTROSPECT_TOKEN;
  if (!stintUrl || !introspectToken) {
    console.error('Set STINT_URL and STINT_INTROSPECT_TOKEN (a stint_live_ token with the introspect scope)');
    process.exit(2);
  }
  const port = Number(process.env.PORT ?? 4000);
  createResourceServer({ stintUrl, introspectToken }).listen(port, () => console.log(`resource server on http://127.0.0.1:${port} (GET /orders: data:read, POST /orders: data:write)`));
}
