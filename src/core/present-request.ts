/**
 * The request view of DESIGN.md section 6 (REST answers, CLI output): one place that turns a row, its
 * decisions and the current policy into what callers see.
 */
import { formatNarrowing } from '../domain/narrowing.ts';
import type { AccessRequest, RequestContext, Decision, RequesterKind, RequestStatus, RevokeCause } from '../domain/request.ts';
import type { Policy } from '../policy/model.ts';
import { ownerOf, type ExternalOnCall } from '../policy/index.ts';
import { currentApprovers, currentReviewers } from './visibility.ts';

export interface ApproverView {
  id: string;
  email: string;
  status: 'pending' | 'approved' | 'denied';
  decidedAt: string | null;
  comment?: string | null;
}

export interface RequestView {
  id: string;
  status: RequestStatus;
  identityId: string;
  scopes: string[];
  reason: string;
  ticket: string | null;
  /** The ticket's title from its system, where the workflow checks tickets. */
  ticketTitle: string | null;
  duration: number;
  requestedAt: string;
  decidedAt: string | null;
  activatedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  revokeCause: RevokeCause | null;
  /** Why the request is in its state when that needs saying: GRANT_FAILED's reason, a revoke being retried. */
  statusReason: string | null;
  /** `service` for a service account or agent: its reason is the task context, `agentReasoning` its model's why. */
  requesterKind: RequesterKind;
  agentReasoning: string | null;
  /** An agent approver escalated it to people: only people decide it now. */
  humanOnly: boolean;
  /** What the request was narrowed to, as written back (`SELECT on orders.shipments`); null: the default access. */
  narrowing: string | null;
  /** Context signals when it was made (source IP, trusted network, device, baseline); null for older requests. */
  context: RequestContext | null;
  /** Launch mode: the access is used through the SSH gateway (`stint ssh`), and no credential is ever shown. */
  launch: boolean;
  breakGlass: boolean;
  riskScore: number;
  riskSignals: string[];
  approvers: ApproverView[];
  required: number;
  autoApproved: boolean;
  decidedBy: string | null;
  /** The follow-up review of a break-glass use; null for other requests. */
  review: ReviewView | null;
}

export interface ReviewView {
  status: 'pending' | 'acknowledged';
  /** Emails of who may acknowledge it under the current policy. */
  reviewers: string[];
  acknowledgedBy: string | null;
  acknowledgedAt: string | null;
  comment: string | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** `external`: who is on call in PagerDuty/Opsgenie approver rotations (core/on-call-now.ts), for the pending list. */
export function presentRequest(request: AccessRequest, decisions: Decision[], policy: Policy, now: Date, external?: ExternalOnCall): RequestView {
  const owner = ownerOf(policy, request.requesterId);
  const byApprover = new Map(decisions.map((d) => [d.approverId, d]));
  // Auto-approved and break-glass requests had no human approvers to wait for.
  const eligible = request.autoApproved || request.breakGlass ? [] : currentApprovers(policy, request, now, external).filter((id) => id !== owner);
  const ids = [...new Set([...decisions.map((d) => d.approverId), ...(request.status === 'PENDING' ? eligible : [])])];
  const approvers = ids.map((id): ApproverView => {
    const decision = byApprover.get(id);
    return {
      id,
      email: policy.people.get(id)?.email ?? id,
      status: decision ? (decision.verdict === 'approve' ? 'approved' : 'denied') : 'pending',
      decidedAt: iso(decision?.at ?? null),
      comment: decision?.comment ?? null,
    };
  });
  return {
    id: request.id,
    status: request.status,
    identityId: request.requesterId,
    scopes: request.scopes,
    reason: request.reason,
    ticket: request.ticket,
    ticketTitle: request.ticketTitle,
    duration: request.durationSec,
    requestedAt: request.createdAt.toISOString(),
    decidedAt: iso(request.decidedAt),
    activatedAt: iso(request.activatedAt),
    expiresAt: iso(request.expiresAt),
    revokedAt: iso(request.revokedAt),
    revokeCause: request.revokeCause,
    statusReason: request.statusReason,
    requesterKind: request.requesterKind,
    agentReasoning: request.agentReasoning,
    humanOnly: request.humanOnly,
    narrowing: request.narrowing ? formatNarrowing(request.narrowing) : null,
    context: request.context,
    launch: request.launch,
    breakGlass: request.breakGlass,
    riskScore: request.riskScore,
    riskSignals: request.riskSignals,
    approvers,
    required: request.required,
    autoApproved: request.autoApproved,
    decidedBy: request.decidedBy,
    review: presentReview(request, policy, now),
  };
}

function presentReview(request: AccessRequest, policy: Policy, now: Date): ReviewView | null {
  if (!request.breakGlass || request.reviewStatus === null) return null;
  return {
    status: request.reviewStatus === 'ACKNOWLEDGED' ? 'acknowledged' : 'pending',
    reviewers: currentReviewers(policy, request, now).map((id) => policy.people.get(id)?.email ?? id),
    acknowledgedBy: request.reviewedBy,
    acknowledgedAt: iso(request.reviewedAt),
    comment: request.reviewComment,
  };
}
