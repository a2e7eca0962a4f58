/** Read side: one request, or a filtered list, limited to what the caller may see. */
import type { RequestStatus, ReviewStatus } from '../domain/request.ts';
import { approversFor, expandPrincipals, reviewerRefs } from '../policy/index.ts';
import type { Policy } from '../policy/model.ts';
import { actsAsAdmin, type Actor } from './actor.ts';
import { agentRefusal, isAiReviewer } from './agent-review.ts';
import { onCallNow, visibleNow } from './on-call-now.ts';
import type { CorePorts, RequestFilter } from './ports.ts';
import { presentRequest, type RequestView } from './present-request.ts';
import { canSee, currentReviewers } from './visibility.ts';

type ReadPorts = Pick<CorePorts, 'store' | 'policy' | 'clock' | 'oncall'>;

export async function getRequest(actor: Actor, id: string, ports: ReadPorts): Promise<RequestView> {
  const policy = ports.policy.current();
  const now = ports.clock.now();
  const { request, onCall } = await visibleNow(policy, actor, await ports.store.getRequest(id), id, now, ports.oncall);
  return presentRequest(request, await ports.store.listDecisions(id), policy, now, onCall.people);
}

export interface ListRequestsInput {
  statuses?: RequestStatus[];
  /**
   * `mine`: requested by me; `awaiting`: PENDING ones I may decide, and break-glass uses whose review waits for me;
   * `all`: everything I may see.
   */
  view?: 'mine' | 'awaiting' | 'all';
  /** Only break-glass requests whose review is in this state. */
  review?: ReviewStatus;
  limit?: number;
}

export async function listRequests(actor: Actor, input: ListRequestsInput, ports: ReadPorts): Promise<RequestView[]> {
  const policy = ports.policy.current();
  const now = ports.clock.now();
  const { people: onCall } = await onCallNow(policy, now, ports.oncall);
  const limit = Math.min(Math.max(input.limit ?? 100, 1), 500);
  const view = input.view ?? 'all';
  // Workflows the caller may approve at some escalation level (levels add approvers; canSee checks each request's own).
  const approverOf = [...policy.workflows.values()]
    .filter((w) => approversFor(policy, w, now, w.escalation.length, onCall).includes(actor.id) || isAiReviewer(policy, actor, w.id))
    .map((w) => w.id);
  const review = input.review ? { reviewStatus: input.review } : {};
  const filters: RequestFilter[] =
    view === 'mine'
      ? [{ requesterId: actor.id, ...review }]
      : view === 'awaiting'
        ? [...(input.review ? [] : [{ workflows: approverOf, statuses: ['PENDING' as const] }]), ...(isReviewer(policy, actor, now) ? [{ reviewStatus: 'PENDING' as const }] : [])]
        : actsAsAdmin(policy, actor) || (input.review && isReviewer(policy, actor, now))
          ? [{ ...review }]
          : [{ requesterId: actor.id, ...review }, { workflows: approverOf, ...review }];
  const seen = new Map<string, RequestView>();
  for (const filter of filters) {
    if (filter.workflows && filter.workflows.length === 0) continue;
    const statuses = filter.statuses ?? input.statuses;
    for (const request of await ports.store.listRequests({ ...filter, ...(statuses ? { statuses } : {}), limit })) {
      if (seen.has(request.id) || !canSee(policy, actor, request, now, onCall)) continue;
      const decisions = await ports.store.listDecisions(request.id);
      if (view === 'awaiting') {
        const decides =
          request.status === 'PENDING' &&
          request.requesterId !== actor.id &&
          !decisions.some((d) => d.approverId === actor.id) &&
          (actor.kind !== 'service' || agentRefusal(policy, actor, request) === null);
        const reviews = request.reviewStatus === 'PENDING' && currentReviewers(policy, request, now).includes(actor.id);
        if (!(filter.reviewStatus ? reviews : decides)) continue;
      }
      seen.set(request.id, presentRequest(request, decisions, policy, now, onCall));
    }
  }
  return [...seen.values()].sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, limit);
}

/** Whether this person reviews break-glass uses at all now (each request then checks its own requester). */
function isReviewer(policy: Policy, actor: Actor, now: Date): boolean {
  return actor.kind === 'person' && expandPrincipals(policy, reviewerRefs(policy), now).has(actor.id);
}
