/**
 * `mode: assignment`: a plain role assignment at the scope, named by a deterministic GUID (a retried grant
 * PUTs the same one) and described "Stint JIT <request> until <expiry>"; revoke deletes it by name; Stint's
 * expiry timer is the only end (no native expiry: use `pim-schedule` for that).
 *
 * ARM refuses a second assignment of the same principal, role and scope under another name
 * (RoleAssignmentExists). Then the existing one decides: described by Stint → another request of the same
 * person holds it, and this handle shares it (reference counting by `stillNeeded`); otherwise the person held it
 * before Stint (`preexisting`), and Stint never removes it.
 */
import { StintError, isStintError } from '../../domain/errors.ts';
import type { GrantHandleData, GrantTarget } from '../../core/ports.ts';
import { armScope, isStatus, type ArmSession } from './arm-session.ts';
import { roleGuidOf, sameArmId, type Grantee } from './azure-config.ts';
import { grantName, requestIdOf, STINT_MARK, stintDescription } from './grant-name.ts';

export interface AssignmentHandle extends GrantHandleData {
  mode: 'assignment';
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  /** The role assignment this handle answers for (ours, or the existing one it found). */
  name: string;
  preexisting: boolean;
}

const WRITE = { what: 'create the role assignment', action: 'Microsoft.Authorization/roleAssignments/write' };
const READ = { what: 'read role assignments', action: 'Microsoft.Authorization/roleAssignments/read' };
const DELETE = { what: 'delete the role assignment', action: 'Microsoft.Authorization/roleAssignments/delete' };

export async function grantAssignment(session: ArmSession, grantee: Grantee, target: GrantTarget): Promise<AssignmentHandle> {
  const { scope, roleDefinitionId, principalId } = grantee;
  const name = grantName({ requestId: target.requestId, resourceId: target.resourceId, scope, roleDefinitionId });
  const handle = { mode: 'assignment' as const, scope, roleDefinitionId, principalId, name, preexisting: false };
  const created = await createOrRescue(session, handle, () => session.call(WRITE, async (options) => {
    try {
      await session.client.roleAssignments.create(
        armScope(scope),
        name,
        { roleDefinitionId, principalId, principalType: grantee.principalType, description: stintDescription(target.requestId, target.expiresAt) },
        options,
      );
      return true;
    } catch (error) {
      if (isStatus(error, 409, 'RoleAssignmentExists')) return false;
      throw error;
    }
  }));
  if (created) return handle;
  const existing = await findExisting(session, grantee);
  // Gone between the 409 and the list (someone deleted it): the next grant retry creates ours.
  if (!existing) throw new StintError('UNAVAILABLE', `Azure reported an existing role assignment at ${scope} but none is listed now; the grant is retried`);
  if (existing.name === name) return handle;
  const byStint = existing.description?.startsWith(STINT_MARK) ?? false;
  return { ...handle, name: existing.name!, preexisting: !byStint };
}

/**
 * When the create gave up (throttled or failing), it may still have happened on Azure with its answer lost: look
 * for our name before reporting failure. Still unknown, nothing is deleted here — a blind delete could remove the
 * assignment an earlier attempt of this request made and Stint still counts on; if the request ends without it,
 * the orphan sweep (listGranted) removes what is left (a property test found the blind delete doing that).
 */
async function createOrRescue(session: ArmSession, handle: AssignmentHandle, create: () => Promise<boolean>): Promise<boolean> {
  try {
    return await create();
  } catch (error) {
    if (!isStintError(error) || error.code !== 'UNAVAILABLE' || error.details?.token) throw error;
    const found = await checkAssignment(session, handle).catch(() => 'unknown');
    if (found === 'present') return true;
    throw error;
  }
}

/** The assignment of exactly this principal, role and scope (not inherited from above, not below). */
async function findExisting(session: ArmSession, grantee: Grantee) {
  return session.call(READ, async (options) => {
    for await (const assignment of session.client.roleAssignments.listForScope(armScope(grantee.scope), { ...options, filter: `principalId eq '${grantee.principalId}'` })) {
      if (sameArmId(assignment.scope, grantee.scope) && assignment.principalId === grantee.principalId && roleGuidOf(assignment.roleDefinitionId ?? '') === roleGuidOf(grantee.roleDefinitionId)) {
        return assignment;
      }
    }
    return undefined;
  });
}

export async function revokeAssignment(session: ArmSession, handle: AssignmentHandle, stillNeeded: boolean): Promise<void> {
  if (handle.preexisting || stillNeeded) return;
  await session.call(DELETE, async (options) => {
    try {
      await session.client.roleAssignments.delete(armScope(handle.scope), handle.name, options);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  });
}

export async function checkAssignment(session: ArmSession, handle: AssignmentHandle): Promise<'present' | 'absent'> {
  return session.call(READ, async (options) => {
    try {
      const found = await session.client.roleAssignments.get(armScope(handle.scope), handle.name, options);
      return found.principalId === handle.principalId ? 'present' : 'absent';
    } catch (error) {
      if (isStatus(error, 404)) return 'absent';
      throw error;
    }
  });
}

/** Stint's assignments at exactly this scope and role (by their description), for the orphan sweep. */
export async function listStintAssignments(session: ArmSession, scope: string, roleDefinitionId: string): Promise<Array<{ requestId: string; handle: AssignmentHandle }>> {
  return session.call(READ, async (options) => {
    const found: Array<{ requestId: string; handle: AssignmentHandle }> = [];
    for await (const a of session.client.roleAssignments.listForScope(armScope(scope), options)) {
      const requestId = requestIdOf(a.description);
      if (!requestId || !a.name || !a.principalId || !sameArmId(a.scope, scope) || roleGuidOf(a.roleDefinitionId ?? '') !== roleGuidOf(roleDefinitionId)) continue;
      found.push({ requestId, handle: { mode: 'assignment', scope, roleDefinitionId, principalId: a.principalId, name: a.name, preexisting: false } });
    }
    return found;
  });
}
