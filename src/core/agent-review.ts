/**
 * Agent approvers (issue 10): a service account decides a request only where its workflow says
 * `approverTier: ai_review` and lists it in `aiReview.reviewers`, never on break-glass, never once the request
 * was handed to people (`escalate_to_human`), never above the workflow's risk ceiling, and never on a request of
 * its own or of its owner (invariant 3: the owner counts as the requester).
 */
import { StintError } from '../domain/errors.ts';
import type { AccessRequest } from '../domain/request.ts';
import type { Policy } from '../policy/model.ts';
import { ownerOf } from '../policy/index.ts';
import type { Actor } from './actor.ts';

/** Whether this service account reviews the workflow's requests at all (what it may see and list). */
export function isAiReviewer(policy: Policy, actor: Actor, workflowId: string): boolean {
  const workflow = policy.workflows.get(workflowId);
  return actor.kind === 'service' && workflow?.approverTier === 'ai_review' && (workflow.aiReview?.reviewers.includes(actor.id) ?? false);
}

/** Why this agent may not decide (or escalate) this request now, or null when it may. Status is the caller's check. */
export function agentRefusal(policy: Policy, actor: Actor, request: AccessRequest): StintError | null {
  const workflow = policy.workflows.get(request.workflow);
  if (!isAiReviewer(policy, actor, request.workflow) || !workflow?.aiReview) {
    return new StintError(
      'NOT_ELIGIBLE',
      `${actor.id} may not decide requests of workflow ${request.workflow}: agents decide only where approverTier is ai_review and aiReview.reviewers names them`,
      { workflow: request.workflow },
    );
  }
  const owner = ownerOf(policy, request.requesterId);
  if (request.requesterId === actor.id || (owner !== undefined && owner === ownerOf(policy, actor.id))) {
    return new StintError('SELF_APPROVAL', `${actor.id} cannot decide a request of its own or of its owner (${owner}); a person must`);
  }
  if (request.breakGlass) {
    return new StintError('NOT_ELIGIBLE', 'Agents never decide or review break-glass use; people on the security review do', { breakGlass: true });
  }
  if (request.humanOnly) {
    return new StintError('NOT_ELIGIBLE', 'This request was escalated to a human: only people decide it now', { humanOnly: true });
  }
  if (request.riskScore >= workflow.aiReview.maxRisk) {
    return new StintError(
      'NOT_ELIGIBLE',
      `Risk score ${request.riskScore} is not below aiReview.maxRisk ${workflow.aiReview.maxRisk} of workflow ${request.workflow}: escalate it to a human`,
      { riskScore: request.riskScore, maxRisk: workflow.aiReview.maxRisk },
    );
  }
  return null;
}
