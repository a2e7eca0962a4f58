/** Who may see and act on a request (DESIGN.md section 6: requester, eligible approvers, admins). */
import { StintError } from '../domain/errors.ts';
import type { AccessRequest } from '../domain/request.ts';
import type { Policy } from '../policy/model.ts';
import { approversFor, ownerOf } from '../policy/index.ts';
import { actsAsAdmin, type Actor } from './actor.ts';

export function canSee(policy: Policy, actor: Actor, request: AccessRequest, now: Date): boolean {
  if (actsAsAdmin(policy, actor)) return true;
  if (actor.id === request.requesterId || actor.id === request.createdBy) return true;
  if (actor.kind === 'person' && ownerOf(policy, request.requesterId) === actor.id) return true;
  const workflow = policy.workflows.get(request.workflow);
  return workflow !== undefined && approversFor(policy, workflow, now, request.escalationLevel).includes(actor.id);
}

/** Existence is not leaked: an invisible request is reported exactly like an unknown one. */
export function notFound(id: string): StintError {
  return new StintError('NOT_FOUND', `No request ${id} that you can see; check the id with \`stint list\``, { id });
}

export function assertVisible(policy: Policy, actor: Actor, request: AccessRequest | null, id: string, now: Date): AccessRequest {
  if (!request || !canSee(policy, actor, request, now)) throw notFound(id);
  return request;
}
