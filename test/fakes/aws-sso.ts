/**
 * The SSO Admin and Identity Store half of the AWS fake (JSON 1.1 protocol): one Identity Center instance with
 * its identity store, permission sets, account assignments created and deleted through asynchronous requests
 * (IN_PROGRESS on the call, SUCCEEDED — and applied — on the next Describe…Status or a few calls later, or FAILED
 * when told),
 * ConflictException while an operation on the same assignment is in flight, and permission-set tags (at most 50,
 * as AWS allows). Input is checked the way the service does (ValidationException naming the field).
 */
import { randomUUID } from 'node:crypto';

export class AwsFault extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export const SSO_INSTANCE_ARN = 'arn:aws:sso:::instance/ssoins-1234567890abcdef';
export const IDENTITY_STORE_ID = 'd-1234567890';
export const PERMISSION_SET_ARN = 'arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-abcdef1234567890';

type Params = Record<string, any>;

interface AssignmentRequest {
  kind: 'create' | 'delete';
  requestId: string;
  key: string;
  status: 'IN_PROGRESS' | 'SUCCEEDED' | 'FAILED';
  /** Further SSO calls (of any caller) before AWS finishes it in the background, if nobody asks before. */
  callsLeft: number;
  failureReason?: string;
  input: Params;
}

export interface SsoState {
  /** userName → userId in the identity store. */
  users: Map<string, string>;
  permissionSets: Set<string>;
  /** `<permissionSetArn>|<accountId>|<principalType>|<principalId>` of the assignments in effect. */
  assignments: Set<string>;
  requests: Map<string, AssignmentRequest>;
  tags: Map<string, Map<string, string>>;
  /** The next creation requests end FAILED with this reason (one per entry). */
  failNextCreations: string[];
}

export function assignmentKey(permissionSetArn: string, accountId: string, principalId: string, principalType = 'USER'): string {
  return `${permissionSetArn}|${accountId}|${principalType}|${principalId}`;
}

export function newSsoState(): SsoState {
  return { users: new Map(), permissionSets: new Set([PERMISSION_SET_ARN]), assignments: new Set(), requests: new Map(), tags: new Map(), failNextCreations: [] };
}

function required(params: Params, field: string, pattern?: RegExp): string {
  const value = params[field];
  if (typeof value !== 'string' || value === '') throw new AwsFault('ValidationException', `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`);
  if (pattern && !pattern.test(value)) throw new AwsFault('ValidationException', `1 validation error detected: Value '${value}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source}`);
  return value;
}

function instanceOf(params: Params): void {
  if (required(params, 'InstanceArn') !== SSO_INSTANCE_ARN) throw new AwsFault('ResourceNotFoundException', `Instance ${params.InstanceArn} does not exist`);
}

function permissionSetOf(state: SsoState, params: Params, field = 'PermissionSetArn'): string {
  const arn = required(params, field);
  if (!state.permissionSets.has(arn)) throw new AwsFault('ResourceNotFoundException', `PermissionSet ${arn} does not exist`);
  return arn;
}

function assignmentInput(state: SsoState, params: Params): string {
  instanceOf(params);
  if (required(params, 'TargetType') !== 'AWS_ACCOUNT') throw new AwsFault('ValidationException', "Value at 'targetType' must be AWS_ACCOUNT");
  const accountId = required(params, 'TargetId', /^\d{12}$/);
  const principalType = required(params, 'PrincipalType', /^(USER|GROUP)$/);
  const principalId = required(params, 'PrincipalId', /^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$/);
  if (principalType === 'USER' && ![...state.users.values()].includes(principalId)) throw new AwsFault('ResourceNotFoundException', `Principal ${principalId} does not exist`);
  return assignmentKey(permissionSetOf(state, params), accountId, principalId, principalType);
}

function statusOf(r: AssignmentRequest) {
  const [PermissionSetArn, TargetId, PrincipalType, PrincipalId] = r.key.split('|');
  return {
    Status: r.status,
    RequestId: r.requestId,
    ...(r.failureReason ? { FailureReason: r.failureReason } : {}),
    TargetId,
    TargetType: 'AWS_ACCOUNT',
    PermissionSetArn,
    PrincipalType,
    PrincipalId,
    CreatedDate: Date.now() / 1000,
  };
}

function startRequest(state: SsoState, kind: 'create' | 'delete', key: string, input: Params): AssignmentRequest {
  const inFlight = [...state.requests.values()].some((r) => r.key === key && r.status === 'IN_PROGRESS');
  if (inFlight) throw new AwsFault('ConflictException', 'An account assignment operation for this principal and permission set is in progress; retry later');
  if (kind === 'delete' && !state.assignments.has(key)) throw new AwsFault('ResourceNotFoundException', 'The account assignment does not exist');
  const request: AssignmentRequest = { kind, requestId: randomUUID(), key, status: 'IN_PROGRESS', callsLeft: 3, input };
  state.requests.set(request.requestId, request);
  return request;
}

/** IN_PROGRESS → SUCCEEDED (applied) or FAILED: what AWS finishes in the background, done here on the next read. */
export function settle(state: SsoState, request: AssignmentRequest): void {
  if (request.status !== 'IN_PROGRESS') return;
  if (request.kind === 'create') {
    const reason = state.failNextCreations.shift();
    if (reason) {
      request.status = 'FAILED';
      request.failureReason = reason;
      return;
    }
    state.assignments.add(request.key);
  } else {
    state.assignments.delete(request.key);
  }
  request.status = 'SUCCEEDED';
}

function describe(state: SsoState, params: Params, field: string, kind: 'create' | 'delete') {
  instanceOf(params);
  const id = required(params, field);
  const request = state.requests.get(id);
  if (!request || request.kind !== kind) throw new AwsFault('ResourceNotFoundException', `Request ${id} does not exist`);
  settle(state, request);
  return statusOf(request);
}

function tagsOf(state: SsoState, params: Params): Map<string, string> {
  instanceOf(params);
  const arn = permissionSetOf(state, params, 'ResourceArn');
  let tags = state.tags.get(arn);
  if (!tags) state.tags.set(arn, (tags = new Map()));
  return tags;
}

const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

/** One SSO Admin (`SWBExternalService.*`) or Identity Store (`AWSIdentityStore.*`) operation. */
export function ssoOperation(state: SsoState, operation: string, params: Params): Params {
  // Time passes: requests nobody polls still finish after a few calls, as they do in AWS.
  for (const request of state.requests.values()) {
    if (request.status === 'IN_PROGRESS' && --request.callsLeft <= 0) settle(state, request);
  }
  switch (operation) {
    case 'AWSIdentityStore.GetUserId': {
      if (required(params, 'IdentityStoreId') !== IDENTITY_STORE_ID) throw new AwsFault('ResourceNotFoundException', `IdentityStore ${params.IdentityStoreId} does not exist`);
      const unique = params.AlternateIdentifier?.UniqueAttribute;
      if (unique?.AttributePath !== 'userName' || typeof unique.AttributeValue !== 'string') throw new AwsFault('ValidationException', 'AlternateIdentifier.UniqueAttribute must name userName');
      const userId = state.users.get(unique.AttributeValue);
      if (!userId) throw new AwsFault('ResourceNotFoundException', 'USER not found.');
      return { IdentityStoreId: IDENTITY_STORE_ID, UserId: userId };
    }
    case 'SWBExternalService.CreateAccountAssignment': {
      const request = startRequest(state, 'create', assignmentInput(state, params), params);
      return { AccountAssignmentCreationStatus: statusOf(request) };
    }
    case 'SWBExternalService.DeleteAccountAssignment': {
      const request = startRequest(state, 'delete', assignmentInput(state, params), params);
      return { AccountAssignmentDeletionStatus: statusOf(request) };
    }
    case 'SWBExternalService.DescribeAccountAssignmentCreationStatus':
      return { AccountAssignmentCreationStatus: describe(state, params, 'AccountAssignmentCreationRequestId', 'create') };
    case 'SWBExternalService.DescribeAccountAssignmentDeletionStatus':
      return { AccountAssignmentDeletionStatus: describe(state, params, 'AccountAssignmentDeletionRequestId', 'delete') };
    case 'SWBExternalService.ListAccountAssignments': {
      instanceOf(params);
      const accountId = required(params, 'AccountId', /^\d{12}$/);
      const arn = permissionSetOf(state, params);
      const all = [...state.assignments]
        .map((key) => key.split('|'))
        .filter(([ps, account]) => ps === arn && account === accountId)
        .map(([PermissionSetArn, AccountId, PrincipalType, PrincipalId]) => ({ AccountId, PermissionSetArn, PrincipalType, PrincipalId }));
      // Pages of two, so callers that ignore NextToken miss assignments.
      const start = params.NextToken ? Number(params.NextToken) : 0;
      const page = all.slice(start, start + 2);
      return { AccountAssignments: page, ...(start + 2 < all.length ? { NextToken: String(start + 2) } : {}) };
    }
    case 'SWBExternalService.TagResource': {
      const tags = tagsOf(state, params);
      const added: Array<{ Key: string; Value: string }> = params.Tags ?? [];
      for (const tag of added) {
        if (!TAG_KEY.test(tag.Key ?? '') || tag.Key.startsWith('aws:')) throw new AwsFault('ValidationException', `Tag key ${tag.Key} is invalid`);
        if (!TAG_VALUE.test(tag.Value ?? '')) throw new AwsFault('ValidationException', `Tag value for ${tag.Key} is invalid`);
      }
      const keys = new Set([...tags.keys(), ...added.map((t) => t.Key)]);
      if (keys.size > 50) throw new AwsFault('ServiceQuotaExceededException', 'A resource can have at most 50 tags');
      for (const tag of added) tags.set(tag.Key, tag.Value);
      return {};
    }
    case 'SWBExternalService.UntagResource': {
      const tags = tagsOf(state, params);
      for (const key of params.TagKeys ?? []) tags.delete(key);
      return {};
    }
    case 'SWBExternalService.ListTagsForResource': {
      const tags = [...tagsOf(state, params)].map(([Key, Value]) => ({ Key, Value }));
      const start = params.NextToken ? Number(params.NextToken) : 0;
      return { Tags: tags.slice(start, start + 3), ...(start + 3 < tags.length ? { NextToken: String(start + 3) } : {}) };
    }
    default:
      throw new AwsFault('UnknownOperationException', `The fake does not serve ${operation}`);
  }
}
