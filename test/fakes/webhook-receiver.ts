/**
 * A contract fake of a Stint webhook receiver (README "webhook provider"): one HTTP server on a free port that
 * checks every call the way a careful receiver must — `Stint-Signature` HMAC over `<t>.<raw body>` with the
 * shared secret (401 when missing, malformed, wrong, or older than 300 s), `Content-Type: application/json`
 * (415), a `Stint/` User-Agent, an `Idempotency-Key` that names the call, a strictly shaped JSON body (400 for
 * unknown events or keys) — dedupes by Idempotency-Key (a replay gets the first 2xx answer), keeps who holds
 * what, answers check from that state, records every call, and injects faults on demand.
 *
 * Verification is written here independently of src/ (its own HMAC and parser), so a broken signer fails.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const EVENTS = new Set(['grant', 'revoke', 'extend', 'check']);
const BODY_KEYS = new Set(['event', 'id', 'requestId', 'resourceId', 'principalId', 'account', 'expiresAt', 'sentAt', 'handle']);
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export type ReceiverFault =
  /** Answer with this status (and body); nothing is applied. */
  | { kind: 'status'; status: number; body?: string; retryAfter?: string }
  /** Hold the call this long without answering (past the client's timeout); `applied`: do the work first (the answer is lost). */
  | { kind: 'hang'; ms: number; applied?: boolean }
  /** Close the connection without an answer. */
  | { kind: 'reset' };

export interface ReceiverCall {
  event: string | undefined;
  idempotencyKey: string | undefined;
  /** The parsed body, when it parsed. */
  body: Record<string, unknown> | undefined;
  headers: IncomingMessage['headers'];
  status: number;
  /** Answered from the dedupe cache. */
  replayed: boolean;
  /** The fault injected into this call, if any. */
  fault?: ReceiverFault['kind'];
}

interface Holding {
  /** The person had the access before any Stint grant. */
  preexisting: boolean;
  /** Stint grants: request id → { grant id, expiry }. */
  grants: Map<string, { grantId: string; expiresAt: string }>;
}

export interface WebhookReceiverOptions {
  secret: string;
  /** Headers every call must carry with exactly these values (extra auth). */
  requiredHeaders?: Record<string, string>;
  /** The receiver's clock, for the timestamp window. @defaultValue Date.now */
  nowMs?: () => number;
  /** Grant answers carry a `handle` of the receiver's ids. @defaultValue true */
  answerHandle?: boolean;
  path?: string;
}

export interface WebhookReceiver {
  url: string;
  calls: ReceiverCall[];
  /** Calls that reached the state (signature valid, not faulted, not replayed). */
  applied(): ReceiverCall[];
  /** Whether `who` (account, or principal id when there is none) holds access to `resourceId`. */
  holds(resourceId: string, who: string): boolean;
  /** Stint grants currently recorded, as `resourceId|who|requestId → expiresAt`. */
  grants(): Record<string, string>;
  /** The person already has the access outside Stint. */
  seedPreexisting(resourceId: string, who: string): void;
  /** The next `count` calls get `fault`. */
  failNext(count: number, fault: ReceiverFault): void;
  /** Every call gets `fault` until `clearFaults`. */
  failAlways(fault: ReceiverFault): void;
  clearFaults(): void;
  /** Overrides the next grant answer body (to send a malformed handle). */
  nextGrantBody(body: string): void;
  close(): Promise<void>;
}

/** `t=…,v1=…` as the receiver reads it; null when malformed. */
function parseSignature(header: string | undefined): { t: number; v1: string[] } | null {
  if (!header) return null;
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.split('=', 2);
    if (k === 't' && v && /^\d+$/.test(v)) t = Number(v);
    else if (k === 'v1' && v && /^[0-9a-f]{64}$/.test(v)) v1.push(v);
  }
  return t === undefined || v1.length === 0 ? null : { t, v1 };
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 65_536) resolve(null);
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Why the body is not a well-formed event, or null. */
function shapeProblem(body: Record<string, unknown>): string | null {
  for (const key of Object.keys(body)) if (!BODY_KEYS.has(key)) return `unknown key ${key}`;
  if (typeof body.event !== 'string' || !EVENTS.has(body.event)) return `unknown event ${String(body.event)}`;
  for (const key of ['id', 'requestId', 'resourceId', 'principalId'] as const) {
    if (typeof body[key] !== 'string' || body[key] === '') return `${key} must be a non-empty string`;
  }
  if (body.account !== null && typeof body.account !== 'string') return 'account must be a string or null';
  for (const key of ['expiresAt', 'sentAt'] as const) if (typeof body[key] !== 'string' || !ISO.test(body[key])) return `${key} must be an ISO time`;
  if (body.handle !== undefined && (typeof body.handle !== 'object' || body.handle === null || Array.isArray(body.handle))) return 'handle must be an object';
  if (body.event === 'grant' && body.handle !== undefined) return 'grant carries no handle';
  return null;
}

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const nowMs = options.nowMs ?? Date.now;
  const path = options.path ?? '/hooks/stint';
  const calls: ReceiverCall[] = [];
  const cache = new Map<string, { status: number; body: string; identity: string }>();
  const holdings = new Map<string, Holding>();
  const faults: ReceiverFault[] = [];
  let always: ReceiverFault | null = null;
  let grantBodyOverride: string | null = null;
  let grantCount = 0;
  const sockets = new Set<import('node:net').Socket>();

  const holdingKey = (resourceId: string, who: string) => `${resourceId}|${who}`;
  const whoOf = (body: Record<string, unknown>) => (body.account as string | null) ?? (body.principalId as string);

  /** Applies one verified, fresh event to the state; returns the answer. */
  function apply(body: Record<string, unknown>): { status: number; body: string } {
    const key = holdingKey(body.resourceId as string, whoOf(body));
    const holding = holdings.get(key);
    const requestId = body.requestId as string;
    const own = holding?.grants.get(requestId);
    // A handle echoed on later events must be the one the grant answered with (the request id alone also finds it).
    const echoed = body.handle as Record<string, unknown> | undefined;
    const handleMismatch = own !== undefined && echoed !== undefined && echoed.grantId !== own.grantId;
    switch (body.event) {
      case 'grant': {
        if (holding?.preexisting) return { status: 200, body: JSON.stringify({ preexisting: true }) };
        const grantId = own?.grantId ?? `g-${++grantCount}`;
        const next = holding ?? { preexisting: false, grants: new Map() };
        next.grants.set(requestId, { grantId, expiresAt: body.expiresAt as string });
        holdings.set(key, next);
        if (grantBodyOverride !== null) {
          const override = grantBodyOverride;
          grantBodyOverride = null;
          return { status: 200, body: override };
        }
        return { status: 200, body: options.answerHandle === false ? '' : JSON.stringify({ handle: { grantId, system: 'fake' } }) };
      }
      case 'revoke': {
        if (handleMismatch) return { status: 400, body: JSON.stringify({ error: 'handle does not match the grant' }) };
        // Stint counts who still needs the access and sends revoke only for the last one: remove the access this
        // request was granted, never what the person held before, and nothing for a grant never applied.
        const removed = Boolean(holding && !holding.preexisting && own);
        if (removed) holdings.delete(key);
        return { status: 200, body: JSON.stringify({ removed }) };
      }
      case 'extend': {
        if (!own) return { status: 404, body: JSON.stringify({ error: 'no such grant' }) };
        if (handleMismatch) return { status: 400, body: JSON.stringify({ error: 'handle does not match the grant' }) };
        own.expiresAt = body.expiresAt as string;
        return { status: 200, body: '{}' };
      }
      default:
        if (handleMismatch) return { status: 400, body: JSON.stringify({ error: 'handle does not match the grant' }) };
        return { status: 200, body: JSON.stringify({ present: Boolean(holding) }) };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const idempotencyKey = req.headers['idempotency-key'] as string | undefined;
    const call: ReceiverCall = { event: undefined, idempotencyKey, body: undefined, headers: req.headers, status: 0, replayed: false };
    calls.push(call);
    const answer = (status: number, body: string, headers: Record<string, string> = {}) => {
      call.status = status;
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(body);
    };
    const raw = await readBody(req);
    if (req.url !== path) return answer(404, JSON.stringify({ error: 'no such path' }));
    if (req.method !== 'POST') return answer(405, JSON.stringify({ error: 'POST only' }));
    if (raw === null) return answer(413, JSON.stringify({ error: 'body too large' }));
    try {
      // Recorded for the tests even when a fault answers first; trusted only after the checks below.
      call.body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      call.event = typeof call.body.event === 'string' ? call.body.event : undefined;
    } catch {
      call.body = undefined;
    }

    const fault = faults.shift() ?? always;
    if (fault) {
      call.fault = fault.kind;
      if (fault.kind === 'status') return answer(fault.status, fault.body ?? JSON.stringify({ error: 'injected' }), fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {});
      if (fault.kind === 'reset') return void req.socket.destroy();
    }

    if (req.headers['content-type']?.split(';')[0]?.trim() !== 'application/json') return answer(415, JSON.stringify({ error: 'Content-Type must be application/json' }));
    if (!req.headers['user-agent']?.startsWith('Stint/')) return answer(400, JSON.stringify({ error: 'User-Agent must be Stint/<version>' }));
    for (const [name, value] of Object.entries(options.requiredHeaders ?? {})) {
      if (req.headers[name.toLowerCase()] !== value) return answer(401, JSON.stringify({ error: `missing or wrong ${name}` }));
    }
    const signature = parseSignature(req.headers['stint-signature'] as string | undefined);
    if (!signature) return answer(401, JSON.stringify({ error: 'missing or malformed Stint-Signature' }));
    if (Math.abs(nowMs() / 1000 - signature.t) > 300) return answer(401, JSON.stringify({ error: 'timestamp outside the 300 s window' }));
    const expected = createHmac('sha256', options.secret).update(Buffer.concat([Buffer.from(`${signature.t}.`), raw])).digest();
    if (!signature.v1.some((v) => timingSafeEqual(Buffer.from(v, 'hex'), expected))) return answer(401, JSON.stringify({ error: 'signature mismatch' }));

    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return answer(400, JSON.stringify({ error: 'body is not JSON' }));
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return answer(400, JSON.stringify({ error: 'body must be a JSON object' }));
    const event = body as Record<string, unknown>;
    const problem = shapeProblem(event);
    if (problem) return answer(400, JSON.stringify({ error: problem }));
    const identity = `${event.event as string}:${event.requestId as string}:${event.resourceId as string}`;
    if (!idempotencyKey?.startsWith(`${event.requestId as string}:${event.resourceId as string}:${event.event as string}`)) {
      return answer(400, JSON.stringify({ error: 'Idempotency-Key must name the request, resource and event' }));
    }

    if (fault?.kind === 'hang' && !fault.applied) return void setTimeout(() => req.socket.destroy(), fault.ms);
    const cached = cache.get(idempotencyKey);
    if (cached && cached.identity !== identity) return answer(422, JSON.stringify({ error: 'Idempotency-Key reused for another call' }));
    call.replayed = Boolean(cached);
    const result = cached ?? apply(event);
    if (!cached && result.status >= 200 && result.status < 300) cache.set(idempotencyKey, { ...result, identity });
    // Done, but the answer is lost on the way back.
    if (fault?.kind === 'hang') return void setTimeout(() => req.socket.destroy(), fault.ms);
    return answer(result.status, result.body, cached ? { 'Idempotent-Replayed': 'true' } : {});
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(JSON.stringify({ error: String(error) }));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${path}`,
    calls,
    applied: () => calls.filter((c) => c.status >= 200 && c.status < 300 && !c.replayed && !c.fault),
    holds: (resourceId, who) => holdings.has(holdingKey(resourceId, who)),
    grants() {
      const out: Record<string, string> = {};
      for (const [key, holding] of holdings) for (const [requestId, grant] of holding.grants) out[`${key}|${requestId}`] = grant.expiresAt;
      return out;
    },
    seedPreexisting(resourceId, who) {
      holdings.set(holdingKey(resourceId, who), { preexisting: true, grants: new Map() });
    },
    failNext(count, fault) {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    failAlways(fault) {
      always = fault;
    },
    clearFaults() {
      faults.length = 0;
      always = null;
    },
    nextGrantBody(body) {
      grantBodyOverride = body;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
