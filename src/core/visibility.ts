/** Who may see and act on a request (DESIGN.md section 6: requester, eligible approvers, admins). */
import { StintError } from '../domain/errors.ts';
import type { AccessRequest } from '../domain/request.ts';
import type { Policy } from '../policy/model.ts';
import { approversFor, expandPrincipals, ownerOf, reviewerRefs, type ExternalOnCall } from '../policy/index.ts';
import { actsAsAdmin, type Actor } from './actor.ts';
import { isAiReviewer } from './agent-review.ts';

/**
 * The people who may decide this request now: its workflow's approvers at its escalation level, under the current
 * policy (`external`: who is on call in PagerDuty/Opsgenie rotations, from core/on-call-now.ts).
 */
export function currentApprovers(policy: Policy, request: AccessRequest, now: Date, external?: ExternalOnCall): string[] {
  const workflow = policy.workflows.get(request.workflow);
  return workflow ? approversFor(policy, workflow, now, request.escalationLevel, external) : [];
}

/** The requester themself, or the person who owns the requesting service account. */
export function speaksForRequester(policy: Policy, actor: Actor, request: AccessRequest): boolean {
  return actor.id === request.requesterId || (actor.kind === 'person' && ownerOf(policy, request.requesterId) === actor.id);
}

export function canSee(policy: Policy, actor: Actor, request: AccessRequest, now: Date, external?: ExternalOnCall): boolean {
  if (actsAsAdmin(policy, actor) || speaksForRequester(policy, actor, request) || actor.id === request.createdBy) return true;
  if (isAiReviewer(policy, actor, request.workflow)) return true;
  return currentApprovers(policy, request, now, external).includes(actor.id) || currentReviewers(policy, request, now).includes(actor.id);
}

/**
 * Who may acknowledge a break-glass request's review now, under the current policy: `breakGlass.reviewers`
 * (the loader defaults it to `admins`; with no break-glass section any more, the admins). The requester (a
 * service account's owner) is never among them. Empty for other requests.
 */
export function currentReviewers(policy: Policy, request: AccessRequest, now: Date): string[] {
  if (!request.breakGlass) return [];
  const owner = ownerOf(policy, request.requesterId);
  return [...expandPrincipals(policy, reviewerRefs(policy), now)].filter((id) => id !== owner).sort();
}

/** Existence is not leaked: an invisible request is reported exactly like an unknown one. */
export function notFound(id: string): StintError {
  return new StintError('NOT_FOUND', `No request ${id} that you can see; check the id with \`stint list\``, { id });
}

export function assertVisible(policy: Policy, actor: Actor, request: AccessRequest | null, id: string, now: Date): AccessRequest {
  if (!request || !canSee(policy, actor, request, now)) throw notFound(id);
  return request;
}
