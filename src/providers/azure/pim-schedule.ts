/**
 * `mode: pim-schedule`: a time-bound role assignment through Privileged Identity Management. Grant is an
 * AdminAssign schedule request (deterministic name) ending at the expiry, so Azure itself ends the access even
 * if Stint is down; extend is AdminExtend with the new end; revoke is AdminRemove ("no such assignment" is
 * success); check lists the principal's schedule instances at the scope and looks for one active now.
 *
 * If the person already holds the role there, PIM refuses the AdminAssign (RoleAssignmentExists): Stint's own
 * earlier schedule request for them (justification "Stint JIT …") means another request shares it; anything
 * else is `preexisting` and never removed.
 */
import { randomUUID } from 'node:crypto';
import type { GrantHandleData, GrantTarget } from '../../core/ports.ts';
import { StintError, isStintError } from '../../domain/errors.ts';
import { armScope, isStatus, type ArmSession } from './arm-session.ts';
import { roleGuidOf, sameArmId, type Grantee } from './azure-config.ts';
import { grantName, requestIdOf, STINT_MARK, stintDescription } from './grant-name.ts';

export interface PimHandle extends GrantHandleData {
  mode: 'pim-schedule';
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  /** The AdminAssign schedule request (absent on Azure when the access was shared or preexisting). */
  requestName: string;
  preexisting: boolean;
}

const WRITE = { what: 'create the role assignment schedule request', action: 'Microsoft.Authorization/roleAssignmentScheduleRequests/write' };
const READ_REQUESTS = { what: 'read role assignment schedule requests', action: 'Microsoft.Authorization/roleAssignmentScheduleRequests/read' };
const READ_INSTANCES = { what: 'read role assignment schedule instances', action: 'Microsoft.Authorization/roleAssignmentScheduleInstances/read' };

/** PIM's answers for "there is no such assignment to remove or extend". */
const ABSENT_CODES = new Set(['RoleAssignmentDoesNotExist', 'RoleAssignmentNotFound', 'ActiveAssignmentNotFound']);
const LIVE_STATUSES = new Set(['Provisioned', 'Granted', 'Accepted', 'PendingProvisioning', 'AdminApproved', 'ScheduleCreated']);

export async function grantPim(session: ArmSession, grantee: Grantee, target: GrantTarget, now: Date): Promise<PimHandle> {
  const { scope, roleDefinitionId, principalId } = grantee;
  const requestName = grantName({ requestId: target.requestId, resourceId: target.resourceId, scope, roleDefinitionId });
  const handle: PimHandle = { mode: 'pim-schedule', scope, roleDefinitionId, principalId, requestName, preexisting: false };
  // A retried grant: our AdminAssign already exists (its startDateTime would differ, so it is not PUT again).
  const earlier = await getRequest(session, scope, requestName);
  if (earlier && LIVE_STATUSES.has(earlier.status ?? '')) return handle;
  const created = await createOrRescue(session, scope, requestName, () => session.call(WRITE, async (options) => {
    try {
      await session.client.roleAssignmentScheduleRequests.create(
        armScope(scope),
        requestName,
        {
          requestType: 'AdminAssign',
          principalId,
          roleDefinitionId,
          justification: stintDescription(target.requestId, target.expiresAt),
          scheduleInfo: { startDateTime: now, expiration: { type: 'AfterDateTime', endDateTime: target.expiresAt } },
        },
        options,
      );
      return true;
    } catch (error) {
      if (isExists(error)) return false;
      // Our name is taken: an earlier try of this very call was done on Azure and its answer lost.
      if (isStatus(error, 409, 'RoleAssignmentScheduleRequestExists')) return true;
      throw error;
    }
  }));
  if (created) return handle;
  return { ...handle, preexisting: !(await heldByStint(session, grantee)) };
}

async function getRequest(session: ArmSession, scope: string, requestName: string) {
  return session.call(READ_REQUESTS, async (options) => {
    try {
      return await session.client.roleAssignmentScheduleRequests.get(armScope(scope), requestName, options);
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  });
}

/** When the AdminAssign gave up, it may still have been accepted with its answer lost: look for it first. */
async function createOrRescue(session: ArmSession, scope: string, requestName: string, create: () => Promise<boolean>): Promise<boolean> {
  try {
    return await create();
  } catch (error) {
    if (!isStintError(error) || error.code !== 'UNAVAILABLE' || error.details?.token) throw error;
    const earlier = await getRequest(session, scope, requestName).catch(() => undefined);
    if (earlier && LIVE_STATUSES.has(earlier.status ?? '')) return true;
    // Still unknown: the orphan sweep (listGranted) finds it, and PIM ends it at the expiry in any case.
    throw error;
  }
}

function isExists(error: unknown): boolean {
  const e = error as { statusCode?: number; code?: string };
  return (e?.statusCode === 409 || e?.statusCode === 400) && e.code === 'RoleAssignmentExists';
}

/** Whether a live AdminAssign of Stint's gave this principal this role at this scope. */
async function heldByStint(session: ArmSession, grantee: Grantee): Promise<boolean> {
  return session.call(READ_REQUESTS, async (options) => {
    const requests = session.client.roleAssignmentScheduleRequests.listForScope(armScope(grantee.scope), { ...options, filter: `principalId eq '${grantee.principalId}'` });
    for await (const request of requests) {
      if (
        request.requestType === 'AdminAssign' &&
        LIVE_STATUSES.has(request.status ?? '') &&
        (request.justification?.startsWith(STINT_MARK) ?? false) &&
        sameArmId(request.scope, grantee.scope) &&
        roleGuidOf(request.roleDefinitionId ?? '') === roleGuidOf(grantee.roleDefinitionId)
      ) {
        return true;
      }
    }
    return false;
  });
}

/** A one-off schedule request (AdminRemove, AdminExtend); "nothing to act on" is returned as false. */
async function adminRequest(session: ArmSession, handle: PimHandle, requestType: 'AdminRemove' | 'AdminExtend', endDateTime?: Date): Promise<boolean> {
  return session.call(WRITE, async (options) => {
    try {
      await session.client.roleAssignmentScheduleRequests.create(
        armScope(handle.scope),
        // A fresh name each time: repeating the action is harmless, and a used name is never PUT twice.
        randomUUID(),
        {
          requestType,
          principalId: handle.principalId,
          roleDefinitionId: handle.roleDefinitionId,
          justification: `${STINT_MARK}${requestType === 'AdminRemove' ? 'revoke' : 'extend'} of ${handle.requestName}`,
          ...(endDateTime ? { scheduleInfo: { expiration: { type: 'AfterDateTime', endDateTime } } } : {}),
        },
        options,
      );
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (isStatus(error, 404) || ABSENT_CODES.has(code)) return false;
      throw error;
    }
  });
}

export async function revokePim(session: ArmSession, handle: PimHandle, stillNeeded: boolean): Promise<void> {
  if (handle.preexisting || stillNeeded) return;
  await adminRequest(session, handle, 'AdminRemove');
}

export async function extendPim(session: ArmSession, handle: PimHandle, newExpiry: Date): Promise<PimHandle> {
  // Access Stint does not own keeps its own schedule.
  if (handle.preexisting) return handle;
  if (!(await adminRequest(session, handle, 'AdminExtend', newExpiry))) {
    throw new StintError('NOT_FOUND', `the Azure PIM assignment of request ${handle.requestName} is no longer active (it ended or was removed); request access again`);
  }
  return handle;
}

export async function checkPim(session: ArmSession, handle: PimHandle, now: Date): Promise<'present' | 'absent'> {
  return session.call(READ_INSTANCES, async (options) => {
    const instances = session.client.roleAssignmentScheduleInstances.listForScope(armScope(handle.scope), { ...options, filter: `assignedTo('${handle.principalId}')` });
    for await (const instance of instances) {
      const active = (!instance.startDateTime || instance.startDateTime <= now) && (!instance.endDateTime || instance.endDateTime > now);
      if (active && instance.principalId === handle.principalId && sameArmId(instance.scope, handle.scope) && roleGuidOf(instance.roleDefinitionId ?? '') === roleGuidOf(handle.roleDefinitionId)) {
        return 'present';
      }
    }
    return 'absent';
  });
}

/** Stint's AdminAssign requests at this scope and role whose assignment is still active, for the orphan sweep. */
export async function listStintSchedules(session: ArmSession, scope: string, roleDefinitionId: string, now: Date): Promise<Array<{ requestId: string; handle: PimHandle }>> {
  const activePrincipals = await session.call(READ_INSTANCES, async (options) => {
    const held = new Set<string>();
    for await (const i of session.client.roleAssignmentScheduleInstances.listForScope(armScope(scope), options)) {
      const active = (!i.startDateTime || i.startDateTime <= now) && (!i.endDateTime || i.endDateTime > now);
      if (active && i.principalId && sameArmId(i.scope, scope) && roleGuidOf(i.roleDefinitionId ?? '') === roleGuidOf(roleDefinitionId)) held.add(i.principalId);
    }
    return held;
  });
  if (activePrincipals.size === 0) return [];
  return session.call(READ_REQUESTS, async (options) => {
    const found: Array<{ requestId: string; handle: PimHandle }> = [];
    for await (const r of session.client.roleAssignmentScheduleRequests.listForScope(armScope(scope), options)) {
      const requestId = requestIdOf(r.justification);
      if (r.requestType !== 'AdminAssign' || !requestId || !r.name || !r.principalId || !activePrincipals.has(r.principalId)) continue;
      if (!LIVE_STATUSES.has(r.status ?? '') || !sameArmId(r.scope, scope) || roleGuidOf(r.roleDefinitionId ?? '') !== roleGuidOf(roleDefinitionId)) continue;
      found.push({ requestId, handle: { mode: 'pim-schedule', scope, roleDefinitionId, principalId: r.principalId, requestName: r.name, preexisting: false } });
    }
    return found;
  });
}
