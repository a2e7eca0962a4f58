/**
 * A local fake of the Slack Web API (and of response_url) that records calls and enforces what Slack enforces:
 * a Bearer token, required arguments, Block Kit limits (50 blocks, 3000-character section text, 25 elements
 * in an actions block, unique action_ids), `ok:false` for unknown channels and
 * users, and HTTP 429 with `Retry-After` when a test asks for it. Form-encoded and JSON bodies, as the SDK sends.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { parse as parseQuery } from 'node:querystring';

export interface SlackCall {
  method: string;
  args: Record<string, any>;
  at: number;
}

export interface SlackUser {
  id: string;
  email?: string;
  emailConfirmed?: boolean;
}

export interface FakeSlackApi {
  url: string;
  /** The Web API base URL for SLACK_API_URL (ends with `/api/`). */
  apiUrl: string;
  token: string;
  calls: SlackCall[];
  /** Messages posted by response_url, by its id. */
  responses: Array<{ id: string; body: Record<string, any>; at: number }>;
  callsOf(method: string): SlackCall[];
  /** A response_url for a command or action payload. */
  responseUrl(id?: string): string;
  /** Resolves once a call matching `match` has been recorded (or rejects after `timeoutMs`). */
  waitFor(method: string, match?: (call: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  waitForResponse(match?: (body: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  /** The next `count` calls of `method` answer 429 with `Retry-After: retryAfterSec`. */
  rateLimit(method: string, count: number, retryAfterSec?: number): void;
  close(): Promise<void>;
}

const REQUIRED: Record<string, string[]> = {
  'chat.postMessage': ['channel'],
  'chat.postEphemeral': ['channel', 'user'],
  'chat.update': ['channel', 'ts'],
  'views.open': ['trigger_id', 'view'],
  'views.update': ['view'],
  'views.publish': ['user_id', 'view'],
  'users.info': ['user'],
  'conversations.open': ['users'],
};

export async function startFakeSlackApi(options: { token?: string; users?: SlackUser[]; channels?: string[] } = {}): Promise<FakeSlackApi> {
  const token = options.token ?? 'xoxb-test-token';
  const users = new Map((options.users ?? []).map((u) => [u.id, u]));
  const channels = new Set(options.channels ?? []);
  const calls: SlackCall[] = [];
  const responses: FakeSlackApi['responses'] = [];
  const limits = new Map<string, { count: number; retryAfterSec: number }>();
  const waiters = new Set<() => void>();
  const messages = new Map<string, Set<string>>(); // channel → ts of posted messages
  let tsCounter = 1_700_000_000_000;

  const notify = () => {
    for (const w of waiters) w();
  };

  const server: Server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '').split('?')[0]!;
    if (path.startsWith('/response/')) {
      const body = raw ? (JSON.parse(raw) as Record<string, any>) : {};
      responses.push({ id: path.slice('/response/'.length), body, at: Date.now() });
      notify();
      return send(200, { ok: true });
    }
    if (!path.startsWith('/api/')) return send(404, { ok: false, error: 'unknown_method' });
    const method = path.slice('/api/'.length);
    const args = parseArgs(raw, req.headers['content-type']);
    if (req.headers.authorization !== `Bearer ${token}` && args.token !== token) return send(200, { ok: false, error: req.headers.authorization ? 'invalid_auth' : 'not_authed' });
    const limit = limits.get(method);
    if (limit && limit.count > 0) {
      limit.count--;
      return send(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limit.retryAfterSec) });
    }
    const missing = (REQUIRED[method] ?? []).filter((k) => args[k] === undefined || args[k] === '');
    if (missing.length > 0) return send(200, { ok: false, error: 'invalid_arguments', response_metadata: { messages: missing.map((k) => `[ERROR] missing required field: ${k}`) } });
    const blockError = checkBlocks(args.blocks ?? (typeof args.view === 'object' ? args.view.blocks : undefined));
    if (blockError) return send(200, { ok: false, error: 'invalid_blocks', response_metadata: { messages: [blockError] } });
    calls.push({ method, args, at: Date.now() });
    notify();
    const knownChannel = (c: string) => channels.has(c) || c.startsWith('D') || users.has(c);
    switch (method) {
      case 'auth.test':
        return send(200, { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1', team: 'Test', url: 'https://test.slack.com/' });
      case 'users.info': {
        const user = users.get(args.user);
        if (!user) return send(200, { ok: false, error: 'user_not_found' });
        return send(200, { ok: true, user: { id: user.id, is_email_confirmed: user.emailConfirmed ?? true, profile: { email: user.email } } });
      }
      case 'conversations.open': {
        const ids = String(args.users).split(',');
        if (ids.some((u) => !users.has(u))) return send(200, { ok: false, error: 'user_not_found' });
        return send(200, { ok: true, channel: { id: `D${ids[0]}` } });
      }
      case 'chat.postMessage': {
        if (!knownChannel(args.channel)) return send(200, { ok: false, error: 'channel_not_found' });
        if (!args.text && !args.blocks) return send(200, { ok: false, error: 'no_text' });
        const ts = `${Math.floor(++tsCounter / 1000)}.${String(tsCounter % 1000000).padStart(6, '0')}`;
        const channel = args.channel.startsWith('U') ? `D${args.channel}` : args.channel;
        if (!messages.has(channel)) messages.set(channel, new Set());
        messages.get(channel)!.add(ts);
        return send(200, { ok: true, channel, ts, message: { ts, text: args.text } });
      }
      case 'chat.update': {
        if (!messages.get(args.channel)?.has(args.ts)) return send(200, { ok: false, error: 'message_not_found' });
        return send(200, { ok: true, channel: args.channel, ts: args.ts });
      }
      case 'chat.postEphemeral':
        if (!knownChannel(args.channel)) return send(200, { ok: false, error: 'channel_not_found' });
        return send(200, { ok: true, message_ts: '1.000001' });
      case 'views.open':
      case 'views.update':
      case 'views.publish':
        return send(200, { ok: true, view: { id: `V${calls.length}`, ...(typeof args.view === 'object' ? args.view : {}) } });
      default:
        return send(200, { ok: true });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const waitUntil = <T>(probe: () => T | undefined, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = probe();
        if (found === undefined) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`fake Slack: timed out waiting for ${what}; calls so far: ${calls.map((c) => c.method).join(', ')}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  return {
    url,
    apiUrl: `${url}/api/`,
    token,
    calls,
    responses,
    callsOf: (method) => calls.filter((c) => c.method === method),
    responseUrl: (id = String(responses.length + Math.random()).replace('.', '')) => `${url}/response/${id}`,
    waitFor: (method, match = () => true, timeoutMs = 10_000) => waitUntil(() => calls.find((c) => c.method === method && match(c)), timeoutMs, method),
    waitForResponse: (match = () => true, timeoutMs = 10_000) => waitUntil(() => responses.find((r) => match(r.body))?.body, timeoutMs, 'a response_url post'),
    rateLimit(method, count, retryAfterSec = 1) {
      limits.set(method, { count, retryAfterSec });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The whole body of a request, as text. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/** A Web API call's arguments, form-encoded or JSON, with the JSON-valued form fields (blocks, view, attachments) parsed. */
export function parseArgs(raw: string, contentType: string | undefined): Record<string, any> {
  if (!raw) return {};
  const args: Record<string, any> = contentType?.includes('application/json') ? JSON.parse(raw) : { ...parseQuery(raw) };
  for (const key of ['blocks', 'view', 'attachments']) {
    if (typeof args[key] === 'string') args[key] = JSON.parse(args[key]);
  }
  return args;
}

/** Block Kit limits Slack checks on every post, update and view. */
export function checkBlocks(blocks: unknown): string | null {
  if (blocks === undefined) return null;
  if (!Array.isArray(blocks)) return 'blocks must be an array';
  if (blocks.length > 50) return `too many blocks: ${blocks.length} > 50`;
  const actionIds = new Set<string>();
  for (const [i, block] of blocks.entries()) {
    if (typeof block !== 'object' || block === null || typeof (block as { type?: unknown }).type !== 'string') return `block ${i} has no type`;
    const b = block as Record<string, any>;
    if (b.type === 'section') {
      if (b.text && String(b.text.text ?? '').length > 3000) return `block ${i}: section text longer than 3000 characters`;
      if (Array.isArray(b.fields) && (b.fields.length > 10 || b.fields.some((f: any) => String(f.text ?? '').length > 2000))) return `block ${i}: more than 10 fields or a field over 2000 characters`;
      if (!b.text && !b.fields) return `block ${i}: a section needs text or fields`;
    }
    if (b.type === 'actions' && (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25)) return `block ${i}: an actions block holds 1 to 25 elements`;
    if (b.type === 'context' && (!Array.isArray(b.elements) || b.elements.length > 10)) return `block ${i}: a context block holds at most 10 elements`;
    const elements = [...(Array.isArray(b.elements) ? b.elements : []), ...(b.accessory ? [b.accessory] : []), ...(b.element ? [b.element] : [])];
    for (const e of elements) {
      if (e?.action_id !== undefined) {
        if (String(e.action_id).length > 255) return `block ${i}: action_id longer than 255 characters`;
        if (actionIds.has(e.action_id)) return `block ${i}: duplicate action_id ${e.action_id}`;
        actionIds.add(e.action_id);
      }
      if (e?.type === 'button' && String(e.text?.text ?? '').length > 75) return `block ${i}: button text longer than 75 characters`;
      if (e?.type === 'button' && e.value !== undefined && String(e.value).length > 2000) return `block ${i}: button value longer than 2000 characters`;
      if (e?.type === 'button' && e.url !== undefined && (String(e.url).length > 3000 || !/^https?:\/\//.test(String(e.url)))) return `block ${i}: a button url is an http(s) address of at most 3000 characters`;
    }
  }
  return null;
}
