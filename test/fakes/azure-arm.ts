/**
 * A local HTTPS fake of the Azure APIs the azure provider calls (Entra's token endpoint, see azure-entra.ts, and
 * ARM's Microsoft.Authorization role assignments and PIM schedule requests/instances), enforcing their
 * contracts: `Authorization: Bearer <a token it issued>` (else 401), the `api-version` each API takes (else 400
 * MissingApiVersionParameter / InvalidApiVersionParameter), a GUID name, a JSON body whose principalId is a
 * GUID, roleDefinitionId a role definition id, scheduleInfo well formed. State: assignments by name, schedule
 * requests, active schedule instances. Errors in ARM's `{"error":{"code","message"}}`: RoleAssignmentExists,
 * PrincipalNotFound, RoleDefinitionDoesNotExist, AuthorizationFailed (`deny`), 404s; 429 with Retry-After or
 * 5xx for the next N calls (`throttle`).
 */
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createFakeEntra, type FakeEntra } from './azure-entra.ts';
import { selfSignedCert } from './azure-tls.ts';
import { handleScheduleRequests, type PimState } from './azure-pim.ts';

export interface ArmCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

export interface ArmAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Assignment {
  name: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: string;
  description?: string;
}

export interface PimInstance {
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  start: Date;
  end: Date | null;
  /** The AdminAssign request that made it (none for one set up by the test as preexisting). */
  requestName?: string;
}

export interface FakeAzure {
  /** Base URL for both `endpoint` and `authorityHost`. */
  url: string;
  /** PEM of the fake's certificate (the provider's `trustedCa`). */
  ca: string;
  entra: FakeEntra;
  subscriptionId: string;
  /** Role definition GUIDs that exist. */
  roles: Set<string>;
  /** Entra object ids that exist. */
  principals: Set<string>;
  assignments: Map<string, Assignment>;
  pim: PimState;
  /** Every ARM and Entra call, in order. */
  calls: ArmCall[];
  /** The next `count` ARM calls (or token calls, with `path: 'token'`) answer `status` (429 with Retry-After). */
  throttle(count: number, options?: { status?: number; retryAfterSec?: number | null; path?: string }): void;
  /** The next `count` ARM writes (PUT/DELETE) are carried out, but their answer is lost (a 500 instead): the client must retry safely. */
  loseAnswers(count: number): void;
  /** Every call needing `action` (e.g. Microsoft.Authorization/roleAssignments/write) answers 403 AuthorizationFailed. */
  deny(action: string): void;
  reset(): void;
  close(): Promise<void>;
}

export const API_VERSIONS: Record<string, string> = {
  roleassignments: '2022-04-01',
  roleassignmentschedulerequests: '2020-10-01',
  roleassignmentscheduleinstances: '2020-10-01',
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLE_ID = /^(\/subscriptions\/[0-9a-f-]{36}(\/[^/]+)*)?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([0-9a-f-]{36})$/i;
const ARM_PATH = /^\/(subscriptions\/[^/]+(?:\/.+?)?)\/providers\/Microsoft\.Authorization\/(roleAssignments|roleAssignmentScheduleRequests|roleAssignmentScheduleInstances)(?:\/([^/]+))?$/i;

export const armError = (status: number, code: string, message: string, headers?: Record<string, string>): ArmAnswer => ({ status, body: { error: { code, message } }, headers });

/** Lower-case, no trailing slash, one leading slash: ARM ids compare case-insensitively. */
export const norm = (id: string) => `/${id.replace(/^\/+|\/+$/g, '')}`.toLowerCase();
/** Whether `inner` is `outer` or below it. */
export const within = (inner: string, outer: string) => norm(inner) === norm(outer) || norm(inner).startsWith(`${norm(outer)}/`);
/** At, above or below: what ARM lists for a scope with a principal filter. */
export const related = (a: string, b: string) => within(a, b) || within(b, a);

/** Validates principalId and roleDefinitionId as ARM would; returns an error answer or the role GUID. */
export function checkPrincipalAndRole(fake: Pick<FakeAzure, 'roles' | 'principals'>, body: any): ArmAnswer | { roleGuid: string } {
  const props = body?.properties;
  if (!props || typeof props !== 'object') return armError(400, 'InvalidRequestContent', 'The request content was invalid: missing properties.');
  if (typeof props.principalId !== 'string' || !GUID.test(props.principalId)) return armError(400, 'InvalidPrincipalId', 'A valid principal ID must be provided for role assignment.');
  const role = typeof props.roleDefinitionId === 'string' ? ROLE_ID.exec(props.roleDefinitionId) : null;
  if (!role) return armError(400, 'InvalidRoleDefinitionId', `The role definition ID '${props.roleDefinitionId}' is not valid.`);
  if (!fake.roles.has(role[3]!.toLowerCase())) return armError(400, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${role[3]}' does not exist.`);
  if (!fake.principals.has(props.principalId.toLowerCase())) {
    return armError(400, 'PrincipalNotFound', `Principal ${props.principalId.replaceAll('-', '')} does not exist in the directory ${'tenant'}.`);
  }
  return { roleGuid: role[3]!.toLowerCase() };
}

/** The principal a list `$filter` names (`principalId eq '<id>'` or `assignedTo('<id>')`), null without one, Error when malformed. */
export function filterPrincipal(query: URLSearchParams): string | null | Error {
  const filter = query.get('$filter');
  if (filter === null) return null;
  const match = /^principalId eq '([0-9a-f-]{36})'$/i.exec(filter) ?? /^assignedTo\('([0-9a-f-]{36})'\)$/i.exec(filter);
  return match ? match[1]!.toLowerCase() : new Error(`unsupported $filter ${filter}`);
}

function assignmentBody(a: Assignment) {
  const id = `${a.scope}/providers/Microsoft.Authorization/roleAssignments/${a.name}`;
  return { id, name: a.name, type: 'Microsoft.Authorization/roleAssignments', properties: { scope: a.scope, roleDefinitionId: a.roleDefinitionId, principalId: a.principalId, principalType: a.principalType, description: a.description, createdOn: new Date().toISOString() } };
}

export async function startFakeAzure(options: { tenantId?: string; clientId?: string; clientSecret?: string; subscriptionId?: string; now?: () => Date } = {}): Promise<FakeAzure> {
  const { key, cert } = selfSignedCert();
  const entra = createFakeEntra({
    tenantId: options.tenantId ?? '72f988bf-86f1-41af-91ab-2d7cd011db47',
    clientId: options.clientId ?? '5b1a7c3e-0d2f-4e6a-9b8c-1f2e3d4c5b6a',
    clientSecret: options.clientSecret ?? 'fake-azure-client-secret-value',
  });
  const now = options.now ?? (() => new Date());
  const throttles: Array<{ left: number; status: number; retryAfterSec: number | null; path: string }> = [];
  const denied = new Set<string>();
  let lostAnswers = 0;
  const fake: FakeAzure = {
    url: '',
    ca: cert,
    entra,
    subscriptionId: options.subscriptionId ?? '11111111-2222-4333-8444-555555555555',
    roles: new Set(),
    principals: new Set(),
    assignments: new Map(),
    pim: { requests: new Map(), instances: [] },
    calls: [],
    throttle: (count, o = {}) => throttles.push({ left: count, status: o.status ?? 429, retryAfterSec: o.retryAfterSec === undefined ? 1 : o.retryAfterSec, path: o.path ?? '/subscriptions/' }),
    loseAnswers: (count) => void (lostAnswers = count),
    deny: (action) => void denied.add(action.toLowerCase()),
    reset() {
      fake.calls.length = 0;
      throttles.length = 0;
      lostAnswers = 0;
      denied.clear();
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };

  function arm(call: ArmCall): ArmAnswer {
    const auth = call.headers.authorization;
    if (typeof auth !== 'string' || !auth.startsWith('Bearer ')) return armError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.");
    if (!entra.tokens.has(auth.slice('Bearer '.length))) return armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    const match = ARM_PATH.exec(call.path);
    if (!match) return armError(400, 'InvalidResourceType', `the fake ARM has no route for ${call.method} ${call.path}`);
    const [, rawScope, rawKind, name] = match;
    const scope = `/${rawScope}`;
    const kind = rawKind!.toLowerCase();
    const version = call.query.get('api-version');
    if (!version) return armError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests.");
    if (version !== API_VERSIONS[kind]) return armError(400, 'InvalidApiVersionParameter', `The api-version '${version}' is invalid; this fake serves ${API_VERSIONS[kind]}.`);
    if (!within(scope, `/subscriptions/${fake.subscriptionId}`)) return armError(404, 'SubscriptionNotFound', `The subscription '${rawScope!.split('/')[1]}' could not be found.`);
    const verb = call.method === 'GET' ? 'read' : call.method === 'DELETE' ? 'delete' : 'write';
    const action = `Microsoft.Authorization/${rawKind}/${verb}`;
    if (denied.has(action.toLowerCase())) {
      return armError(403, 'AuthorizationFailed', `The client '${entra.clientId}' with object id '${entra.clientId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`);
    }
    if (name !== undefined && !GUID.test(name)) return armError(400, 'InvalidRoleAssignmentId', `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`);
    if (kind === 'roleassignments') return roleAssignments(call, scope, name);
    return handleScheduleRequests(fake, call, kind, scope, name, now());
  }

  function roleAssignments(call: ArmCall, scope: string, name: string | undefined): ArmAnswer {
    if (name === undefined) {
      if (call.method !== 'GET') return armError(405, 'MethodNotAllowed', `${call.method} is not allowed on a collection`);
      const principal = filterPrincipal(call.query);
      if (principal instanceof Error) return armError(400, 'UnsupportedQuery', principal.message);
      const value = [...fake.assignments.values()].filter((a) => related(a.scope, scope) && (principal === null || a.principalId === principal));
      return { status: 200, body: { value: value.map(assignmentBody) } };
    }
    const stored = fake.assignments.get(name.toLowerCase());
    const here = stored && norm(stored.scope) === norm(scope) ? stored : undefined;
    if (call.method === 'GET') return here ? { status: 200, body: assignmentBody(here) } : armError(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`);
    if (call.method === 'DELETE') {
      if (!here) return { status: 204 };
      fake.assignments.delete(name.toLowerCase());
      return { status: 200, body: assignmentBody(here) };
    }
    if (call.method !== 'PUT') return armError(405, 'MethodNotAllowed', `${call.method} is not allowed`);
    const checked = checkPrincipalAndRole(fake, call.body);
    if ('status' in checked) return checked;
    const props = call.body.properties;
    if (props.principalType !== undefined && !['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device'].includes(props.principalType)) {
      return armError(400, 'InvalidPrincipalType', `principalType '${props.principalType}' is not valid.`);
    }
    if (props.description !== undefined && (typeof props.description !== 'string' || props.description.length > 2048)) return armError(400, 'InvalidDescription', 'description must be a string of at most 2048 characters');
    const principalId = props.principalId.toLowerCase();
    const same = (a: Assignment) => a.principalId === principalId && norm(a.scope) === norm(scope) && a.roleDefinitionId.split('/').at(-1)!.toLowerCase() === checked.roleGuid;
    if (stored) {
      if (here && same(here)) return { status: 201, body: assignmentBody(here) };
      return armError(409, 'RoleAssignmentUpdateNotPermitted', 'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.');
    }
    if ([...fake.assignments.values()].some(same)) return armError(409, 'RoleAssignmentExists', 'The role assignment already exists.');
    const created: Assignment = { name: name.toLowerCase(), scope, roleDefinitionId: props.roleDefinitionId, principalId, principalType: props.principalType ?? 'User', description: props.description };
    fake.assignments.set(created.name, created);
    return { status: 201, body: assignmentBody(created) };
  }

  const server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://fake');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: any = text;
      if (text !== '' && String(req.headers['content-type'] ?? '').includes('json')) {
        try {
          body = JSON.parse(text);
        } catch {
          return send({ status: 400, body: { error: { code: 'InvalidRequestContent', message: 'The request content was not valid JSON.' } } });
        }
      }
      const call: ArmCall = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: body === '' ? undefined : body };
      fake.calls.push(call);
      const isToken = call.path.endsWith('/oauth2/v2.0/token');
      const throttle = throttles.find((t) => t.left > 0 && (t.path === 'token' ? isToken : call.path.startsWith(t.path)));
      if (throttle) {
        throttle.left--;
        const headers: Record<string, string> = throttle.status === 429 && throttle.retryAfterSec !== null ? { 'retry-after': String(throttle.retryAfterSec) } : {};
        return send(isToken ? { status: throttle.status, body: { error: 'temporarily_unavailable', error_description: 'AADSTS50196: throttled' }, headers } : armError(throttle.status, throttle.status === 429 ? 'TooManyRequests' : 'InternalServerError', 'Throttled by the fake', headers));
      }
      const entraAnswer = entra.handle(call.method, call.path, text, fake.url);
      if (entraAnswer) return send(entraAnswer);
      const answer = arm(call);
      if (lostAnswers > 0 && (call.method === 'PUT' || call.method === 'DELETE') && answer.status < 300) {
        lostAnswers--;
        return send(armError(500, 'InternalServerError', 'The answer was lost on the way back (fake).'));
      }
      send(answer);
    });
    function send(answer: ArmAnswer) {
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': 'fake', ...answer.headers });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}
