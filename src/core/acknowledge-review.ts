/**
 * Acknowledge the follow-up review of a break-glass use (issue 7): a reviewer (`breakGlass.reviewers`, default the
 * admins) says they have looked at it, with an optional comment. Like a decision: the row is locked first and moved
 * with a conditional update (two reviewers clicking at once give one acknowledgement), the reviewer is checked at
 * click time against the current policy, the requester (a service account's owner, any of their identities) can
 * never review their own break-glass, and the audit event commits with the change. A repeated acknowledgement
 * changes nothing and says who acknowledged it when.
 */
import { StintError } from '../domain/errors.ts';
import type { AccessRequest } from '../domain/request.ts';
import { reviewerRefs } from '../policy/index.ts';
import { requireScope, type Actor } from './actor.ts';
import type { CorePorts } from './ports.ts';
import { assertVisible, currentReviewers, speaksForRequester } from './visibility.ts';

export interface AcknowledgeReviewInput {
  requestId: string;
  comment?: string | null;
}

export interface AcknowledgeReviewResult {
  request: AccessRequest;
  /** False when the review was already acknowledged (by this reviewer or another): nothing changed. */
  changed: boolean;
}

export const REVIEW_COMMENT_MAX = 2000;

export async function acknowledgeReview(actor: Actor, input: AcknowledgeReviewInput, ports: CorePorts): Promise<AcknowledgeReviewResult> {
  const policy = ports.policy.current();
  const now = ports.clock.now();
  requireScope(actor, 'approve');
  const comment = input.comment?.trim().slice(0, REVIEW_COMMENT_MAX) || null;

  const result = await ports.store.transaction(async (tx): Promise<AcknowledgeReviewResult> => {
    const locked = assertVisible(policy, actor, await tx.lockRequest(input.requestId), input.requestId, now);
    if (!locked.breakGlass || locked.reviewStatus === null) {
      throw new StintError('NOT_BREAK_GLASS', `Request ${locked.id} was not a break-glass use: it has no review to acknowledge`, { id: locked.id });
    }
    if (actor.kind === 'person' && speaksForRequester(policy, actor, locked)) {
      throw new StintError('SELF_APPROVAL', 'You cannot review your own break-glass use; a reviewer from security must');
    }
    // After the self check: the requester is told why, not "already done" (and never sees someone else's comment first).
    if (locked.reviewStatus === 'ACKNOWLEDGED') return { request: locked, changed: false };
    if (actor.kind !== 'person' || !currentReviewers(policy, locked, now).includes(actor.id)) {
      throw new StintError('NOT_ELIGIBLE', `${actor.id} is not a break-glass reviewer under the current policy (breakGlass.reviewers)`, {
        reviewers: reviewerRefs(policy),
      });
    }
    const review = { reviewedBy: actor.id, reviewedAt: now, reviewComment: comment };
    if (!(await tx.acknowledgeReview(locked.id, review))) {
      // Unreachable while the row lock is held; kept so a store without FOR UPDATE fails loudly, not twice.
      throw new StintError('ALREADY_DECIDED', 'This review was acknowledged by someone else a moment ago');
    }
    tx.appendAudit({
      actor: actor.id,
      action: 'breakglass.reviewed',
      requestId: locked.id,
      data: {
        breakGlass: true,
        reviewer: actor.id,
        comment,
        via: actor.via,
        requester: locked.requesterId,
        // How long the break-glass went unreviewed: what a security team's SLA is measured on.
        secondsAfterBreakGlass: Math.max(0, Math.round((now.getTime() - locked.createdAt.getTime()) / 1000)),
      },
      at: now,
    });
    return { request: { ...locked, ...review, reviewStatus: 'ACKNOWLEDGED' }, changed: true };
  });

  if (result.changed) await ports.notifier.notify({ kind: 'breakglass.reviewed', request: result.request, actorId: actor.id });
  return result;
}

/** "Already acknowledged by erin at 2026-12-01T10:00:00.000Z — looked fine": for surfaces answering a repeat. */
export function alreadyReviewedText(request: AccessRequest): string {
  const at = request.reviewedAt ? ` at ${request.reviewedAt.toISOString()}` : '';
  return `Already acknowledged by ${request.reviewedBy ?? 'a reviewer'}${at}${request.reviewComment ? ` — ${request.reviewComment}` : ''}`;
}
