/**
 * `mode: identity-center`: assign a permission set on one account to the person's Identity Center user
 * (`accounts.aws`: their user name, or their user id), and delete that assignment on revoke. Both are
 * asynchronous in AWS: each call returns a request id polled until SUCCEEDED or FAILED.
 *
 * Whether the user was assigned before Stint (`preexisting`, then Stint never removes it) must survive a crash
 * between the assignment and the caller saving the handle: a retried grant would otherwise see its own
 * assignment and call it preexisting, and it would never be revoked. Assignments carry no tags, so each grant
 * tags the permission set with a marker `stint:<request id>:<resource hash>` = `<account>/<user>/<pre|new>`;
 * a retry reads it back, a second request for the same (account, user) inherits its answer, and revoke deletes
 * the assignment only when no other request's marker for the pair remains.
 */
import { createHash } from 'node:crypto';
import {
  CreateAccountAssignmentCommand,
  DeleteAccountAssignmentCommand,
  DescribeAccountAssignmentCreationStatusCommand,
  DescribeAccountAssignmentDeletionStatusCommand,
  ListAccountAssignmentsCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type AccountAssignmentOperationStatus,
} from '@aws-sdk/client-sso-admin';
import { GetUserIdCommand } from '@aws-sdk/client-identitystore';
import { StintError } from '../../domain/errors.ts';
import type { GrantHandleData, GrantTarget } from '../../core/ports.ts';
import { awsErrorCode, type AwsClients } from './aws-clients.ts';
import { awsCall, awsFailure } from './aws-errors.ts';
import type { IdentityCenterConfig } from './aws-config.ts';

export interface IdentityCenterHandle extends GrantHandleData {
  mode: 'identity-center';
  permissionSetArn: string;
  accountId: string;
  userId: string;
  marker: string;
  preexisting: boolean;
}

export interface Polling {
  /** Between two status reads of an assignment request. */
  pollIntervalMs: number;
  /** An assignment request still IN_PROGRESS after this long fails the call (a retry picks it up again). */
  provisionTimeoutMs: number;
  /** Delay before retrying a ConflictException (another operation on the same assignment in flight). */
  conflictDelayMs: number;
}

const MARKER_PREFIX = 'stint:';
const USER_ID = /^([0-9a-f]{10}-)?[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$/;
const CONFLICT_ATTEMPTS = 6;

interface Marker {
  key: string;
  accountId: string;
  userId: string;
  preexisting: boolean;
}

export function markerKey(requestId: string, resourceId: string): string {
  return `${MARKER_PREFIX}${requestId}:${createHash('sha256').update(resourceId).digest('hex').slice(0, 8)}`;
}

function parseMarker(key: string, value: string): Marker | null {
  if (!key.startsWith(MARKER_PREFIX)) return null;
  const [accountId, userId, pre] = value.split('/');
  if (!accountId || !userId || (pre !== 'pre' && pre !== 'new')) return null;
  return { key, accountId, userId, preexisting: pre === 'pre' };
}

/** The request id a marker key names (`stint:<request id>:<hash>`), for the orphan sweep. */
export function requestIdOfMarker(key: string): string {
  return key.slice(MARKER_PREFIX.length, key.lastIndexOf(':'));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function subjectOf(h: { permissionSetArn: string; accountId: string; userId?: string }): string {
  return `permission set ${h.permissionSetArn} on account ${h.accountId}${h.userId ? ` for user ${h.userId}` : ''}`;
}

/** `accounts.aws` is a user name (resolved with GetUserId) or already a user id. */
async function resolveUserId(clients: AwsClients, config: IdentityCenterConfig, account: string): Promise<string> {
  if (USER_ID.test(account)) return account;
  const found = await awsCall(
    'identitystore:GetUserId',
    `Identity Center user "${account}"`,
    () =>
      clients.identityStore.send(
        new GetUserIdCommand({ IdentityStoreId: config.identityStoreId, AlternateIdentifier: { UniqueAttribute: { AttributePath: 'userName', AttributeValue: account } } }),
      ),
    `fix accounts.aws of the person (their Identity Center user name) or identityStoreId`,
  );
  if (!found.UserId) throw new StintError('UNAVAILABLE', `aws: identitystore:GetUserId returned no user id for "${account}"`);
  return found.UserId;
}

/** Every Stint marker on the permission set (all pages). */
export async function listMarkers(clients: AwsClients, instanceArn: string, permissionSetArn: string): Promise<Marker[]> {
  const markers: Marker[] = [];
  let NextToken: string | undefined;
  do {
    const page = await awsCall('sso:ListTagsForResource', `permission set ${permissionSetArn}`, () =>
      clients.ssoAdmin.send(new ListTagsForResourceCommand({ InstanceArn: instanceArn, ResourceArn: permissionSetArn, NextToken })),
    );
    for (const tag of page.Tags ?? []) {
      const marker = parseMarker(tag.Key ?? '', tag.Value ?? '');
      if (marker) markers.push(marker);
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return markers;
}

/** Whether the user holds the permission set on the account (direct user assignment; all pages). */
async function isAssigned(clients: AwsClients, instanceArn: string, h: { permissionSetArn: string; accountId: string; userId: string }): Promise<boolean> {
  let NextToken: string | undefined;
  do {
    const page = await awsCall('sso:ListAccountAssignments', subjectOf(h), () =>
      clients.ssoAdmin.send(new ListAccountAssignmentsCommand({ InstanceArn: instanceArn, AccountId: h.accountId, PermissionSetArn: h.permissionSetArn, NextToken })),
    );
    if ((page.AccountAssignments ?? []).some((a) => a.PrincipalType === 'USER' && a.PrincipalId === h.userId)) return true;
    NextToken = page.NextToken;
  } while (NextToken);
  return false;
}

/** Retries a ConflictException (an operation on the same assignment is in flight), then gives up loudly. */
async function withConflictRetry<T>(polling: Polling, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (awsErrorCode(error) !== 'ConflictException' || attempt >= CONFLICT_ATTEMPTS) throw error;
      await sleep(polling.conflictDelayMs * attempt);
    }
  }
}

/** Polls an assignment request until it leaves IN_PROGRESS; FAILED throws with AWS's reason. */
async function awaitStatus(
  polling: Polling,
  action: string,
  subject: string,
  first: AccountAssignmentOperationStatus | undefined,
  read: (requestId: string) => Promise<AccountAssignmentOperationStatus | undefined>,
): Promise<void> {
  let status = first;
  const deadline = Date.now() + polling.provisionTimeoutMs;
  while (status?.Status === 'IN_PROGRESS') {
    if (Date.now() > deadline) {
      throw new StintError('UNAVAILABLE', `aws: ${action} for ${subject} is still in progress after ${polling.provisionTimeoutMs} ms (request ${status.RequestId}); it will be retried`);
    }
    await sleep(polling.pollIntervalMs);
    status = await read(status.RequestId!);
  }
  if (status?.Status === 'FAILED') {
    throw new StintError('UNAVAILABLE', `aws: ${action} for ${subject} failed: ${status.FailureReason ?? 'no reason given'}`, { assignmentFailed: true });
  }
}

async function createAssignment(clients: AwsClients, config: IdentityCenterConfig, h: IdentityCenterHandle, polling: Polling): Promise<void> {
  const action = 'sso:CreateAccountAssignment';
  const input = { InstanceArn: config.instanceArn, TargetType: 'AWS_ACCOUNT' as const, TargetId: h.accountId, PermissionSetArn: h.permissionSetArn, PrincipalType: 'USER' as const, PrincipalId: h.userId };
  const created = await awsCall(action, subjectOf(h), () => withConflictRetry(polling, () => clients.ssoAdmin.send(new CreateAccountAssignmentCommand(input))));
  await awaitStatus(polling, action, subjectOf(h), created.AccountAssignmentCreationStatus, async (id) => {
    const read = await awsCall('sso:DescribeAccountAssignmentCreationStatus', subjectOf(h), () =>
      clients.ssoAdmin.send(new DescribeAccountAssignmentCreationStatusCommand({ InstanceArn: config.instanceArn, AccountAssignmentCreationRequestId: id })),
    );
    return read.AccountAssignmentCreationStatus;
  });
}

async function deleteAssignment(clients: AwsClients, config: IdentityCenterConfig, h: IdentityCenterHandle, polling: Polling): Promise<void> {
  const action = 'sso:DeleteAccountAssignment';
  const input = { InstanceArn: config.instanceArn, TargetType: 'AWS_ACCOUNT' as const, TargetId: h.accountId, PermissionSetArn: h.permissionSetArn, PrincipalType: 'USER' as const, PrincipalId: h.userId };
  let deleted;
  try {
    deleted = await withConflictRetry(polling, () => clients.ssoAdmin.send(new DeleteAccountAssignmentCommand(input)));
  } catch (error) {
    if (awsErrorCode(error) === 'ResourceNotFoundException') return; // absent is success
    throw awsFailure(error, action, subjectOf(h));
  }
  await awaitStatus(polling, action, subjectOf(h), deleted.AccountAssignmentDeletionStatus, async (id) => {
    const read = await awsCall('sso:DescribeAccountAssignmentDeletionStatus', subjectOf(h), () =>
      clients.ssoAdmin.send(new DescribeAccountAssignmentDeletionStatusCommand({ InstanceArn: config.instanceArn, AccountAssignmentDeletionRequestId: id })),
    );
    return read.AccountAssignmentDeletionStatus;
  });
}

export async function grantIdentityCenter(clients: AwsClients, config: IdentityCenterConfig, target: GrantTarget & { account: string }, polling: Polling): Promise<IdentityCenterHandle> {
  const userId = await resolveUserId(clients, config, target.account);
  const base = { mode: 'identity-center' as const, permissionSetArn: config.permissionSetArn, accountId: config.accountId, userId, marker: markerKey(target.requestId, target.resourceId) };
  const markers = (await listMarkers(clients, config.instanceArn, base.permissionSetArn)).filter((m) => m.accountId === base.accountId && m.userId === userId);
  const own = markers.find((m) => m.key === base.marker);
  const assigned = await isAssigned(clients, config.instanceArn, base);
  let preexisting: boolean;
  if (own) {
    preexisting = own.preexisting;
  } else {
    // Another Stint request's assignment is Stint's, not preexisting: inherit what its marker recorded.
    preexisting = assigned && (markers.length === 0 || markers.some((m) => m.preexisting));
    // The marker first: a crash after it and before the assignment leaves a retry that finishes the job.
    await awsCall('sso:TagResource', `permission set ${base.permissionSetArn}`, () =>
      clients.ssoAdmin.send(
        new TagResourceCommand({
          InstanceArn: config.instanceArn,
          ResourceArn: base.permissionSetArn,
          Tags: [{ Key: base.marker, Value: `${base.accountId}/${userId}/${preexisting ? 'pre' : 'new'}` }],
        }),
      ),
    );
  }
  const handle: IdentityCenterHandle = { ...base, preexisting };
  if (!assigned) {
    try {
      await createAssignment(clients, config, handle, polling);
    } catch (error) {
      // The caller gets no handle, so nothing would ever remove the marker: when AWS surely created nothing
      // (denied, not found, FAILED), take it back. Otherwise (throttled, still provisioning) the assignment may
      // yet appear, and the marker is what lets a retry or the orphan sweep find and remove it.
      if (createdNothing(error)) await untagMarker(clients, config, handle).catch(() => undefined);
      throw error;
    }
  }
  return handle;
}

function createdNothing(error: unknown): boolean {
  return error instanceof StintError && (error.code === 'FORBIDDEN' || error.code === 'POLICY_INVALID' || error.details?.assignmentFailed === true);
}

async function untagMarker(clients: AwsClients, config: IdentityCenterConfig, h: IdentityCenterHandle): Promise<void> {
  await awsCall('sso:UntagResource', `permission set ${h.permissionSetArn}`, () =>
    clients.ssoAdmin.send(new UntagResourceCommand({ InstanceArn: config.instanceArn, ResourceArn: h.permissionSetArn, TagKeys: [h.marker] })),
  );
}

export async function revokeIdentityCenter(clients: AwsClients, config: IdentityCenterConfig, h: IdentityCenterHandle, stillNeeded: boolean, polling: Polling): Promise<void> {
  await untagMarker(clients, config, h);
  if (h.preexisting || stillNeeded) return;
  // The target's own count as well: another request's marker for this pair means it still holds the assignment,
  // even when the caller could not ask Stint's store (a rollback while the store is unreachable).
  const others = (await listMarkers(clients, config.instanceArn, h.permissionSetArn)).filter((m) => m.accountId === h.accountId && m.userId === h.userId);
  if (others.length > 0) return;
  if (!(await isAssigned(clients, config.instanceArn, h))) return;
  await deleteAssignment(clients, config, h, polling);
}

export async function checkIdentityCenter(clients: AwsClients, config: IdentityCenterConfig, h: IdentityCenterHandle): Promise<'present' | 'absent'> {
  return (await isAssigned(clients, config.instanceArn, h)) ? 'present' : 'absent';
}

/** The grants Stint's markers on the permission set record, for the orphan sweep. */
export async function listIdentityCenterGrants(clients: AwsClients, config: IdentityCenterConfig): Promise<Array<{ requestId: string; handle: IdentityCenterHandle }>> {
  const markers = await listMarkers(clients, config.instanceArn, config.permissionSetArn);
  return markers
    .filter((m) => m.accountId === config.accountId)
    .map((m) => ({
      requestId: requestIdOfMarker(m.key),
      handle: { mode: 'identity-center', permissionSetArn: config.permissionSetArn, accountId: m.accountId, userId: m.userId, marker: m.key, preexisting: m.preexisting },
    }));
}
