/**
 * A contract fake of the Kubernetes API server's RBAC bindings (rbac.authorization.k8s.io/v1 RoleBindings and
 * ClusterRoleBindings), over plain HTTP on a free port, for the real @kubernetes/client-node to talk to:
 * bearer-token authentication, body validation like the API server (kubernetes-validation.ts), server-set
 * uid/resourceVersion/creationTimestamp, optimistic concurrency on PUT, delete preconditions, label selectors,
 * JSON and merge patches (Content-Type enforced), `Status` errors, and injected faults (429 with Retry-After,
 * 500, 403). Every request is recorded; anything malformed is answered 4xx and listed in `rejections`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { applyJsonPatch, applyMergePatch, matchesSelector, parseSelector, RBAC_GROUP, validateBinding, type Cause, type Obj } from './kubernetes-validation.ts';

export type Verb = 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';
export type Resource = 'rolebindings' | 'clusterrolebindings';

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  verb: Verb;
  resource: Resource;
  namespace?: string;
  name?: string;
  contentType?: string;
  authorization?: string;
  status: number;
}

export interface Fault {
  /** The error answered; `stall` answers normally but only after `stallMs` (a hung API server). */
  status: 429 | 500 | 503 | 403 | 'stall';
  stallMs?: number;
  /** Only calls with this verb (any when absent). */
  verb?: Verb;
  /** Seconds, sent as Retry-After with a 429. */
  retryAfter?: number;
  /** The call takes effect and only then fails (a reply lost after the commit). */
  afterEffect?: boolean;
}

const PREFIX = `/apis/${RBAC_GROUP}/v1`;
const PATCH_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];
const REASONS: Record<number, string> = { 400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed', 409: 'Conflict', 415: 'UnsupportedMediaType', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable' };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly reason = REASONS[status] ?? 'Unknown',
    readonly causes: Cause[] = [],
  ) {
    super(message);
  }
}

export class FakeKubernetesApi {
  readonly calls: RecordedCall[] = [];
  /** Requests the fake refused as malformed (bad auth, body, selector, media type): a test expects none. */
  readonly rejections: string[] = [];
  private readonly objects = new Map<string, Obj>();
  private readonly faults: Fault[] = [];
  private readonly denied: Array<{ verb?: Verb; resource?: Resource }> = [];
  private readonly hooks: Array<{ verb: Verb; hook: () => void }> = [];
  private version = 1000;
  private server: Server | undefined;
  port = 0;

  /** Namespaces that exist (a binding in any other is 404 NotFound, as on a real cluster); any when absent. */
  namespaces: Set<string> | undefined;

  constructor(
    readonly token = 'fake-sa-token-7f3a9c',
    options: { namespaces?: string[] } = {},
  ) {
    this.namespaces = options.namespaces ? new Set(options.namespaces) : undefined;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A kubeconfig for this server, its user authenticated by the bearer token. */
  kubeconfig(token = this.token): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      // The client refuses plain HTTP unless told to skip TLS verification.
      `- name: fake\n  cluster:\n    server: ${this.url}\n    insecure-skip-tls-verify: true`,
      'users:',
      `- name: stint\n  user:\n    token: ${token}`,
      'contexts:',
      '- name: fake\n  context:\n    cluster: fake\n    user: stint',
      'current-context: fake',
      '',
    ].join('\n');
  }

  /** The next `count` matching calls fail with `fault` (429 with Retry-After, 5xx, or 403). */
  inject(fault: Fault, count = 1): void {
    for (let i = 0; i < count; i++) this.faults.push(fault);
  }

  /** Runs `hook` just before the next call of `verb` is served (another writer racing Stint). */
  beforeNext(verb: Verb, hook: () => void): void {
    this.hooks.push({ verb, hook });
  }

  /** Drops the faults not yet used. */
  clearFaults(): void {
    this.faults.length = 0;
  }

  /** Every matching call is Forbidden until `allow()`: Stint's account lacks that permission. */
  deny(rule: { verb?: Verb; resource?: Resource } = {}): void {
    this.denied.push(rule);
  }

  allow(): void {
    this.denied.length = 0;
  }

  /** Stores a binding directly (an admin's own, or a Stint one left behind), as the server would on create. */
  seed(resource: Resource, binding: Obj): Obj {
    const md = binding.metadata as Obj;
    const stored = this.stamp(structuredClone(binding));
    this.objects.set(this.key(resource, md.namespace as string | undefined, md.name as string), stored);
    return stored;
  }

  get(resource: Resource, namespace: string | undefined, name: string): Obj | undefined {
    return this.objects.get(this.key(resource, namespace, name));
  }

  all(resource: Resource, namespace?: string): Obj[] {
    const prefix = `${resource}/${namespace ?? ''}/`;
    return [...this.objects.entries()].filter(([k]) => (namespace === undefined ? k.startsWith(`${resource}/`) : k.startsWith(prefix))).map(([, v]) => v);
  }

  private key(resource: Resource, namespace: string | undefined, name: string): string {
    return `${resource}/${resource === 'rolebindings' ? (namespace ?? '') : ''}/${name}`;
  }

  private stamp(obj: Obj, previous?: Obj): Obj {
    const md = obj.metadata as Obj;
    const prev = previous?.metadata as Obj | undefined;
    md.uid = prev?.uid ?? randomUUID();
    md.creationTimestamp = prev?.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    md.resourceVersion = String(++this.version);
    return obj;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const query = Object.fromEntries(url.searchParams);
    const route = this.route(req.method ?? 'GET', url.pathname);
    const call: RecordedCall = { method: req.method ?? '', path: url.pathname, query, verb: route?.verb ?? 'get', resource: route?.resource ?? 'rolebindings', namespace: route?.namespace, name: route?.name, contentType: req.headers['content-type'], authorization: req.headers.authorization, status: 0 };
    this.calls.push(call);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    try {
      if (!route) throw this.reject(404, `the server could not find the requested resource (${req.method} ${url.pathname})`);
      if (req.headers.authorization !== `Bearer ${this.token}`) throw this.reject(401, 'Unauthorized');
      this.checkAccess(route);
      const index = this.faults.findIndex((f) => f.verb === undefined || f.verb === route.verb);
      const fault = index >= 0 ? this.faults.splice(index, 1)[0] : undefined;
      const fail = (f: Fault) => {
        if (f.status === 429) res.setHeader('Retry-After', String(f.retryAfter ?? 0));
        return new HttpError(f.status as number, f.status === 403 ? this.forbiddenText(route) : f.status === 429 ? 'Too many requests, please try again later.' : 'Internal error occurred: etcdserver: request timed out');
      };
      if (fault?.status === 'stall') await new Promise((resolve) => setTimeout(resolve, fault.stallMs ?? 1_000));
      else if (fault && !fault.afterEffect) throw fail(fault);
      const hook = this.hooks.findIndex((h) => h.verb === route.verb);
      if (hook >= 0) this.hooks.splice(hook, 1)[0]!.hook();
      const { status, body } = this.serve(route, req, query, raw);
      if (fault && fault.status !== 'stall') throw fail(fault);
      call.status = status;
      this.send(res, status, body);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, 'fake failure');
      call.status = e.status;
      const details = route ? { name: route.name, group: RBAC_GROUP, kind: route.resource, ...(e.causes.length ? { causes: e.causes.map((c) => ({ reason: 'FieldValueInvalid', message: c.message, field: c.field })) } : {}) } : undefined;
      this.send(res, e.status, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: e.reason, ...(details ? { details } : {}), code: e.status });
    }
  }

  private reject(status: number, message: string, causes: Cause[] = []): HttpError {
    this.rejections.push(`${status} ${message}${causes.length ? `: ${causes.map((c) => `${c.field} ${c.message}`).join('; ')}` : ''}`);
    return new HttpError(status, message, REASONS[status], causes);
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.statusCode = status;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(body));
  }

  private route(method: string, path: string): { verb: Verb; resource: Resource; namespace?: string; name?: string } | undefined {
    const m = /^\/apis\/rbac\.authorization\.k8s\.io\/v1\/(?:namespaces\/([^/]+)\/(rolebindings)|(clusterrolebindings))(?:\/([^/]+))?$/.exec(path);
    if (!m) return undefined;
    const resource = (m[2] ?? m[3]) as Resource;
    const name = m[4] === undefined ? undefined : decodeURIComponent(m[4]);
    const verbs: Record<string, Verb> = name === undefined ? { GET: 'list', POST: 'create' } : { GET: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
    const verb = verbs[method];
    if (!verb) return undefined;
    return { verb, resource, namespace: m[1], name };
  }

  private forbiddenText(route: { verb: Verb; resource: Resource; namespace?: string; name?: string }): string {
    const where = route.namespace ? ` in the namespace "${route.namespace}"` : ' at the cluster scope';
    return `${route.resource}.${RBAC_GROUP}${route.name ? ` "${route.name}"` : ''} is forbidden: User "system:serviceaccount:stint:stint" cannot ${route.verb} resource "${route.resource}" in API group "${RBAC_GROUP}"${where}`;
  }

  private checkAccess(route: { verb: Verb; resource: Resource; namespace?: string; name?: string }): void {
    if (this.denied.some((d) => (d.verb === undefined || d.verb === route.verb) && (d.resource === undefined || d.resource === route.resource))) {
      throw new HttpError(403, this.forbiddenText(route));
    }
  }

  private parseBody(req: IncomingMessage, raw: string, types: string[]): { type: string; body: unknown } {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (!types.includes(type)) throw this.reject(415, `the body of the request was in an unknown format - accepted media types include: ${types.join(', ')}`);
    try {
      return { type, body: JSON.parse(raw) };
    } catch {
      throw this.reject(400, 'the body is not valid JSON');
    }
  }

  private serve(route: { verb: Verb; resource: Resource; namespace?: string; name?: string }, req: IncomingMessage, query: Record<string, string>, raw: string): { status: number; body: unknown } {
    const kind = route.resource === 'rolebindings' ? 'RoleBinding' : 'ClusterRoleBinding';
    const key = route.name === undefined ? '' : this.key(route.resource, route.namespace, route.name);
    const current = route.name === undefined ? undefined : this.objects.get(key);
    const notFound = () => new HttpError(404, `${route.resource}.${RBAC_GROUP} "${route.name}" not found`);
    const validated = (body: unknown): Obj => {
      if (typeof body !== 'object' || body === null) throw this.reject(400, 'the body must be an object');
      const causes = validateBinding(body as Obj, { kind, namespace: route.namespace });
      if (causes.length) throw this.reject(422, `${kind}.${RBAC_GROUP} is invalid`, causes);
      const obj = structuredClone(body as Obj);
      if (route.namespace !== undefined) (obj.metadata as Obj).namespace = route.namespace;
      return obj;
    };
    const immutableRoleRef = (next: Obj) => {
      if (current && JSON.stringify(next.roleRef) !== JSON.stringify(current.roleRef)) throw this.reject(422, `${kind}.${RBAC_GROUP} "${route.name}" is invalid`, [{ field: 'roleRef', message: 'cannot change roleRef' }]);
    };

    if (route.namespace !== undefined && this.namespaces && !this.namespaces.has(route.namespace) && route.verb !== 'list' && route.verb !== 'get') {
      throw new HttpError(404, `namespaces "${route.namespace}" not found`);
    }
    switch (route.verb) {
      case 'list': {
        const selector = query.labelSelector ? parseSelector(query.labelSelector) : [];
        if (!selector) throw this.reject(400, `unable to parse requirement: invalid label selector "${query.labelSelector}"`);
        const items = this.all(route.resource, route.namespace).filter((o) => matchesSelector((o.metadata as Obj).labels as Record<string, string>, selector));
        return { status: 200, body: { kind: `${kind}List`, apiVersion: `${RBAC_GROUP}/v1`, metadata: { resourceVersion: String(this.version) }, items } };
      }
      case 'get':
        if (!current) throw notFound();
        return { status: 200, body: current };
      case 'create': {
        const obj = validated(this.parseBody(req, raw, ['application/json']).body);
        const name = (obj.metadata as Obj).name as string;
        const k = this.key(route.resource, route.namespace, name);
        if (this.objects.has(k)) throw new HttpError(409, `${route.resource}.${RBAC_GROUP} "${name}" already exists`, 'AlreadyExists');
        const md = obj.metadata as Obj;
        if (md.resourceVersion) throw this.reject(422, `${kind} is invalid`, [{ field: 'metadata.resourceVersion', message: 'must be empty on create' }]);
        this.objects.set(k, this.stamp(obj));
        return { status: 201, body: obj };
      }
      case 'update': {
        if (!current) throw notFound();
        const obj = validated(this.parseBody(req, raw, ['application/json']).body);
        if ((obj.metadata as Obj).name !== route.name) throw this.reject(400, 'the name of the object does not match the name on the URL');
        const rv = (obj.metadata as Obj).resourceVersion;
        if (rv !== undefined && rv !== (current.metadata as Obj).resourceVersion) {
          throw new HttpError(409, `Operation cannot be fulfilled on ${route.resource}.${RBAC_GROUP} "${route.name}": the object has been modified; please apply your changes to the latest version and try again`, 'Conflict');
        }
        immutableRoleRef(obj);
        this.objects.set(key, this.stamp(obj, current));
        return { status: 200, body: obj };
      }
      case 'patch': {
        if (!current) throw notFound();
        const { type, body } = this.parseBody(req, raw, PATCH_TYPES);
        let next: Obj;
        try {
          next = type === 'application/json-patch+json' ? applyJsonPatch(current, body) : (applyMergePatch(current, body) as Obj);
        } catch (err) {
          throw new HttpError(422, `the server rejected our request due to an error in our request: ${(err as Error).message}`, 'Invalid');
        }
        // A resourceVersion in the patched object is a precondition, as on the real server.
        if ((next.metadata as Obj).resourceVersion !== (current.metadata as Obj).resourceVersion) {
          throw new HttpError(409, `Operation cannot be fulfilled on ${route.resource}.${RBAC_GROUP} "${route.name}": the object has been modified`, 'Conflict');
        }
        const obj = validated(next);
        immutableRoleRef(obj);
        this.objects.set(key, this.stamp(obj, current));
        return { status: 200, body: obj };
      }
      case 'delete': {
        if (!current) throw notFound();
        const options = raw.trim() === '' ? {} : (this.parseBody(req, raw, ['application/json']).body as Obj);
        const pre = (options.preconditions ?? {}) as Obj;
        const md = current.metadata as Obj;
        if ((pre.uid !== undefined && pre.uid !== md.uid) || (pre.resourceVersion !== undefined && pre.resourceVersion !== md.resourceVersion)) {
          throw new HttpError(409, `Operation cannot be fulfilled on ${route.resource}.${RBAC_GROUP} "${route.name}": Precondition failed`, 'Conflict');
        }
        this.objects.delete(key);
        return { status: 200, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: route.name, group: RBAC_GROUP, kind: route.resource, uid: md.uid } } };
      }
    }
  }
}
