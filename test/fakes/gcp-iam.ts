/**
 * Contract fake of Google Cloud IAM as the gcp provider reaches it: one HTTP server on a free port with
 * - `POST /token`: the service-account JWT-bearer flow (assertion checked in gcp-token.ts), issuing bearer tokens;
 * - `POST /v3/{resource}:getIamPolicy` / `:setIamPolicy` of Cloud Resource Manager v3: bearer token required,
 *   `requestedPolicyVersion: 3` required to read a policy with conditions (400 otherwise, as GCP), etags enforced
 *   (stale → 409 ABORTED), `version: 3` required to write conditions, no conditions on basic roles, members and
 *   conditions well-formed, errors in Google's JSON format.
 * Stricter than GCP where a provider bug would otherwise hide: a write without an etag (a blind overwrite) and
 * two bindings with the same role and condition (GCP merges them) are refused.
 * Faults: the next N calls throttled (429), unavailable (503) or denied (403); every call denied; a concurrent
 * change applied between a client's read and its write (its etag goes stale).
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkAssertion } from './gcp-token.ts';

export interface FakeCondition {
  title?: string;
  description?: string;
  expression: string;
}
export interface FakeBinding {
  role: string;
  members: string[];
  condition?: FakeCondition;
}
export type Verb = 'getIamPolicy' | 'setIamPolicy';
/** `lost`: the call takes effect but the answer is a 503 (a response lost on the way back). */
export type Fault = 'throttle' | 'unavailable' | 'denied' | 'lost';

export interface FakeCall {
  verb: Verb | 'token';
  resource?: string;
  status: number;
  body: unknown;
}

interface Stored {
  etag: string;
  bindings: FakeBinding[];
}

const BASIC = new Set(['roles/owner', 'roles/editor', 'roles/viewer']);
const RESOURCE = /^\/v3\/((?:projects|folders|organizations)\/[a-z0-9-]+):(getIamPolicy|setIamPolicy)$/;
const MEMBER = /^(user|group|serviceAccount|domain):[^\s:]+$|^deleted:(user|group|serviceAccount):[^\s]+$/;
const EXPIRY = /^request\.time < timestamp\("([^"]+)"\)$/;
const FAULTS: Record<Exclude<Fault, 'lost'>, [number, string, string]> = {
  throttle: [429, 'RESOURCE_EXHAUSTED', "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute'."],
  unavailable: [503, 'UNAVAILABLE', 'The service is currently unavailable.'],
  denied: [403, 'PERMISSION_DENIED', 'The caller does not have permission'],
};

class Reject extends Error {
  constructor(
    readonly code: number,
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}

const newEtag = () => randomBytes(8).toString('base64');
const hasConditions = (bindings: FakeBinding[]) => bindings.some((b) => b.condition);

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function validateBindings(raw: unknown, version: unknown): FakeBinding[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new Reject(400, 'INVALID_ARGUMENT', 'policy.bindings must be a list');
  const seen = new Set<string>();
  const bindings = raw.map((b: Record<string, unknown>, i): FakeBinding => {
    if (typeof b?.role !== 'string' || !/^(roles|projects\/[^/]+\/roles|organizations\/\d+\/roles)\/[A-Za-z0-9_.]+$/.test(b.role)) {
      throw new Reject(400, 'INVALID_ARGUMENT', `bindings[${i}].role is not a role name`);
    }
    const members = b.members;
    if (!Array.isArray(members) || members.length === 0) throw new Reject(400, 'INVALID_ARGUMENT', `bindings[${i}] has no members`);
    for (const m of members) if (typeof m !== 'string' || !MEMBER.test(m)) throw new Reject(400, 'INVALID_ARGUMENT', `Invalid principal: ${String(m)}`);
    const binding: FakeBinding = { role: b.role, members: [...(members as string[])] };
    if (b.condition !== undefined) {
      const c = b.condition as Record<string, unknown>;
      if (BASIC.has(b.role)) throw new Reject(400, 'INVALID_ARGUMENT', `Conditions are not supported for basic role ${b.role}`);
      if (typeof c?.expression !== 'string' || !c.expression.trim()) throw new Reject(400, 'INVALID_ARGUMENT', `bindings[${i}].condition.expression is empty`);
      if (typeof c.title !== 'string' || !c.title || c.title.length > 100) throw new Reject(400, 'INVALID_ARGUMENT', `bindings[${i}].condition.title must be 1–100 characters`);
      if (c.description !== undefined && (typeof c.description !== 'string' || c.description.length > 256)) {
        throw new Reject(400, 'INVALID_ARGUMENT', `bindings[${i}].condition.description must be at most 256 characters`);
      }
      const ts = /timestamp\("([^"]*)"\)/.exec(c.expression);
      if (ts && Number.isNaN(Date.parse(ts[1]!))) throw new Reject(400, 'INVALID_ARGUMENT', `invalid timestamp in condition: ${ts[1]}`);
      binding.condition = { title: c.title, expression: c.expression, ...(c.description !== undefined ? { description: c.description as string } : {}) };
    }
    const key = JSON.stringify([binding.role, binding.condition ?? null]);
    if (seen.has(key)) throw new Reject(400, 'INVALID_ARGUMENT', `fake: two bindings of ${binding.role} with the same condition (GCP would merge them)`);
    seen.add(key);
    return binding;
  });
  if (hasConditions(bindings) && version !== 3) {
    throw new Reject(400, 'INVALID_ARGUMENT', 'Conditional role bindings require policy version 3; set policy.version to 3');
  }
  return bindings;
}

export async function startGcpFake() {
  const keys = new Map<string, KeyObject>();
  const tokens = new Map<string, { email: string; expiresAt: number }>();
  const policies = new Map<string, Stored>();
  const faults: Array<{ fault: Fault; verb?: Verb }> = [];
  const calls: FakeCall[] = [];
  let denyAll = false;
  const beforeNextSet: Array<(bindings: FakeBinding[]) => FakeBinding[]> = [];
  let base = '';

  function handleToken(body: string): [number, unknown] {
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return [400, { error: 'unsupported_grant_type', error_description: 'grant_type' }];
    const checked = checkAssertion(form.get('assertion') ?? '', keys, `${base}/token`, Math.floor(Date.now() / 1000));
    if (!checked.ok) return [400, { error: checked.error, error_description: checked.description }];
    const token = `ya29.fake-${randomBytes(16).toString('hex')}`;
    tokens.set(token, { email: checked.clientEmail, expiresAt: Date.now() + 3_600_000 });
    return [200, { access_token: token, expires_in: 3599, token_type: 'Bearer' }];
  }

  function handleIam(req: IncomingMessage, verb: Verb, resource: string, text: string): unknown {
    const result = applyIam(req, verb, resource, text);
    if (result.lost) throw new Reject(...FAULTS.unavailable);
    return result.answer;
  }

  function applyIam(req: IncomingMessage, verb: Verb, resource: string, text: string): { answer: unknown; lost: boolean } {
    const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
    const token = auth ? tokens.get(auth[1]!) : undefined;
    if (!token || token.expiresAt < Date.now()) throw new Reject(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token.');
    if (!String(req.headers['content-type']).startsWith('application/json')) throw new Reject(400, 'INVALID_ARGUMENT', 'fake: body must be application/json');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text || '{}') as Record<string, unknown>;
    } catch {
      throw new Reject(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
    }
    if (denyAll) throw new Reject(...FAULTS.denied);
    const faultAt = faults.findIndex((f) => !f.verb || f.verb === verb);
    const fault = faultAt >= 0 ? faults.splice(faultAt, 1)[0]!.fault : undefined;
    if (fault && fault !== 'lost') throw new Reject(...FAULTS[fault]);
    const lost = fault === 'lost';
    const stored = policies.get(resource);
    // GCP answers 403, not 404, for a resource that does not exist (or that the caller cannot see).
    if (!stored) throw new Reject(403, 'PERMISSION_DENIED', `The caller does not have permission (${resource})`);
    if (verb === 'getIamPolicy') {
      const requested = (body.options as Record<string, unknown> | undefined)?.requestedPolicyVersion ?? 0;
      if (![0, 1, 3].includes(requested as number)) throw new Reject(400, 'INVALID_ARGUMENT', `Invalid requested policy version: ${String(requested)}`);
      if (hasConditions(stored.bindings) && requested !== 3) {
        throw new Reject(400, 'INVALID_ARGUMENT', 'The policy has conditional role bindings; request policy version 3 (options.requestedPolicyVersion)');
      }
      return { answer: render(stored), lost };
    }
    const unknown = Object.keys(body).filter((k) => k !== 'policy' && k !== 'updateMask');
    if (unknown.length > 0 || !body.policy || typeof body.policy !== 'object') throw new Reject(400, 'INVALID_ARGUMENT', `Invalid JSON payload received. Unknown name "${unknown[0] ?? 'policy'}"`);
    const policy = body.policy as Record<string, unknown>;
    if (beforeNextSet.length > 0) {
      // Someone else's changes land between this client's read and its write.
      for (const change of beforeNextSet.splice(0)) stored.bindings = change(stored.bindings);
      stored.etag = newEtag();
    }
    if (typeof policy.etag !== 'string') throw new Reject(400, 'INVALID_ARGUMENT', 'fake: setIamPolicy without an etag would blindly overwrite concurrent changes');
    if (policy.etag !== stored.etag) {
      throw new Reject(409, 'ABORTED', 'There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.');
    }
    const bindings = validateBindings(policy.bindings, policy.version);
    stored.bindings = bindings;
    stored.etag = newEtag();
    return { answer: render(stored), lost };
  }

  function render(stored: Stored) {
    const out = structuredClone(stored.bindings);
    return { version: hasConditions(out) ? 3 : 1, etag: stored.etag, ...(out.length > 0 ? { bindings: out } : {}) };
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const text = await readBody(req);
    const url = new URL(req.url ?? '/', base);
    let status = 200;
    let answer: unknown;
    let verb: FakeCall['verb'] = 'token';
    let resource: string | undefined;
    if (req.method === 'POST' && url.pathname === '/token') {
      [status, answer] = handleToken(text);
    } else {
      const match = RESOURCE.exec(url.pathname);
      try {
        if (req.method !== 'POST' || !match) throw new Reject(404, 'NOT_FOUND', `fake: no such method ${req.method} ${url.pathname}`);
        verb = match[2] as Verb;
        resource = match[1];
        answer = handleIam(req, verb, resource!, text);
      } catch (err) {
        if (!(err instanceof Reject)) throw err;
        status = err.code;
        answer = { error: { code: err.code, message: err.message, status: err.status } };
      }
    }
    let body: unknown;
    try {
      body = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      body = text;
    }
    calls.push({ verb, resource, status, body });
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(JSON.stringify(answer));
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 500, message: String(err), status: 'INTERNAL' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    tokenUrl: `${base}/token`,
    calls,
    /** Trusts a service account's public key for the JWT-bearer flow. */
    trustKey(clientEmail: string, publicKey: KeyObject) {
      keys.set(clientEmail, publicKey);
    },
    /** Creates (or replaces) a resource's policy. */
    seed(resource: string, bindings: FakeBinding[] = []) {
      policies.set(resource, { etag: newEtag(), bindings: structuredClone(bindings) });
    },
    bindings(resource: string): FakeBinding[] {
      return structuredClone(policies.get(resource)?.bindings ?? []);
    },
    /** Whether IAM would let `member` use `role` at `at`: evaluates the only condition form it knows. */
    hasAccess(resource: string, role: string, member: string, at: Date): boolean {
      return (policies.get(resource)?.bindings ?? []).some((b) => {
        if (b.role !== role || !b.members.includes(member)) return false;
        if (!b.condition) return true;
        const m = EXPIRY.exec(b.condition.expression);
        if (!m) throw new Error(`fake: cannot evaluate condition ${b.condition.expression}`);
        return at.getTime() < Date.parse(m[1]!);
      });
    },
    failNext(count: number, fault: Fault, verb?: Verb) {
      for (let i = 0; i < count; i++) faults.push({ fault, verb });
    },
    /** Drops queued faults and pending concurrent changes. */
    clearFaults() {
      faults.length = 0;
      beforeNextSet.length = 0;
    },
    denyAll(on: boolean) {
      denyAll = on;
    },
    /** Applies `change` to the stored policy when the next setIamPolicy arrives, before its etag is compared. */
    changeBeforeNextSet(change: (bindings: FakeBinding[]) => FakeBinding[]) {
      beforeNextSet.push(change);
    },
    tokensIssued: () => tokens.size,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type GcpFake = Awaited<ReturnType<typeof startGcpFake>>;
