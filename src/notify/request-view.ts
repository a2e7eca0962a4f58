/**
 * The one platform-neutral card of a request (DESIGN.md section 6): title, facts, the state line a human wants
 * to read, the approvals so far, and the actions a viewer may take. Slack renders it as Block Kit, Teams (later)
 * as an Adaptive Card, so card content never diverges between platforms. Text here is plain and unescaped:
 * each renderer escapes and shortens for its platform.
 */
import type { Actor } from '../core/actor.ts';
import { presentRequest } from '../core/present-request.ts';
import { currentApprovers, currentReviewers, speaksForRequester } from '../core/visibility.ts';
import { formatDuration } from '../domain/duration.ts';
import { formatNarrowing } from '../domain/narrowing.ts';
import { approverStepUp } from '../policy/step-up.ts';
import { describeSignals } from '../policy/context-signals.ts';
import type { AccessRequest, Decision, RequestStatus } from '../domain/request.ts';
import { resolveScope, reviewerRefs, type ExternalOnCall } from '../policy/index.ts';
import type { Policy } from '../policy/model.ts';

export const CARD_ACTIONS = ['approve', 'deny', 'done', 'extend', 'reveal', 'acknowledge'] as const;
export type CardAction = (typeof CARD_ACTIONS)[number];

export interface CardFact {
  label: string;
  value: string;
}

export interface CardApproval {
  personId: string;
  email: string;
  verdict: 'approve' | 'deny';
  /** ISO 8601 UTC. */
  at: string;
  comment: string | null;
}

export interface RequestCard {
  requestId: string;
  status: RequestStatus;
  title: string;
  facts: CardFact[];
  stateLine: string;
  /** Said loudly above everything else: break-glass use. */
  banner?: string;
  /**
   * Break-glass only: where its follow-up review stands ("Review: waiting for security", "Reviewed by erin at 14:32
   * UTC — looked fine"); to a reviewer who still has to act it opens with "Break-glass review needed".
   */
  reviewLine?: string;
  riskScore: number;
  riskSignals: string[];
  required: number;
  approvals: CardApproval[];
  actions: CardAction[];
  /** Approving needs the approver's second factor (the workflow's stepUp.approvers, issue 12): the card asks for it. */
  approveNeedsStepUp?: boolean;
}

/** Provider modes that mint a credential of their own, by provider type (what "Reveal credentials" can show). */
const MINTING_MODES: Readonly<Record<string, readonly string[]>> = { postgres: ['ephemeral'], aws: ['iam-role'] };
/** Types whose every grant mints a credential, whatever the mode (a `token` scope's stint_jit_ credential). */
const MINTING_TYPES: ReadonlySet<string> = new Set(['token']);

/**
 * `viewer`: the person the card is rendered for. Without one (a channel), the actions are all those the state
 * allows; with one, only those this person may take: approvers on a PENDING request they have not decided yet,
 * the requester on an ACTIVE grant. Every click is checked again when it arrives. `external`: who is on call in
 * PagerDuty/Opsgenie approver rotations (core/on-call-now.ts).
 */
export function buildRequestCard(request: AccessRequest, decisions: Decision[], policy: Policy, now: Date, viewer?: Actor, external?: ExternalOnCall): RequestCard {
  const view = presentRequest(request, decisions, policy, now, external);
  const approvals = view.approvers.flatMap((a): CardApproval[] =>
    a.status === 'pending' ? [] : [{ personId: a.id, email: a.email, verdict: a.status === 'approved' ? 'approve' : 'deny', at: a.decidedAt!, comment: a.comment ?? null }],
  );
  const agent = request.requesterKind === 'service';
  const facts: CardFact[] = [
    { label: agent ? 'Agent' : 'Requester', value: requesterLabel(policy, request.requesterId) },
    { label: request.scopes.length > 1 ? 'Resources' : 'Resource', value: request.scopes.join(', ') },
    ...accessFacts(policy, request.scopes),
    // The exact scope approvers approve, when the request asks for less than the resource's default.
    ...(request.narrowing ? [{ label: 'Narrowed to', value: formatNarrowing(request.narrowing) }] : []),
    // Launch mode: approvers approve a recorded session through the gateway, not a credential in the requester's hands.
    ...(request.launch ? [{ label: 'Mode', value: 'launch via stint ssh (session through the Stint gateway, recorded; no credential shown)' }] : []),
    { label: 'Duration', value: formatDuration(request.durationSec) },
    // An agent's reason is the task it was given; its model's reasoning is shown beside it, as the agent said it.
    { label: agent ? 'Task' : 'Reason', value: request.reason },
    ...(request.agentReasoning ? [{ label: 'Model reasoning', value: request.agentReasoning }] : []),
    ...(request.ticket ? [{ label: 'Ticket', value: request.ticketTitle ? `${request.ticket} — ${request.ticketTitle}` : request.ticket }] : []),
    ...(request.context ? [{ label: 'Context', value: describeSignals(request.context, request.requesterId).join(' · ') }] : []),
    { label: 'Risk', value: `${request.riskScore}/100${request.riskSignals.length > 0 ? ` (${request.riskSignals.join(', ')})` : ''}` },
  ];
  return {
    requestId: request.id,
    status: request.status,
    title: `${request.breakGlass ? 'Break-glass access' : agent ? 'Agent access request' : 'Access request'}: ${request.scopes.join(', ')}`,
    facts,
    stateLine: stateLine(request, approvals, policy, now),
    ...(request.breakGlass ? { banner: `Break-glass: ${request.requesterId} took this access without approval; it is flagged for review` } : {}),
    ...(request.reviewStatus ? { reviewLine: reviewLine(request, policy, now, viewer) } : {}),
    riskScore: request.riskScore,
    riskSignals: request.riskSignals,
    required: request.required,
    approvals,
    actions: actionsFor(request, approvals, policy, now, viewer, external),
    ...(request.status === 'PENDING' && approveNeedsStepUp(policy, request) ? { approveNeedsStepUp: true } : {}),
  };
}

function approveNeedsStepUp(policy: Policy, request: AccessRequest): boolean {
  const workflow = policy.workflows.get(request.workflow);
  return workflow !== undefined && approverStepUp(workflow, request.riskScore);
}

/** What the grant gives (the provider's own description), so approvers know what they approve. */
function accessFacts(policy: Policy, scopes: string[]): CardFact[] {
  const lines = scopes.flatMap((scope) => {
    const access = resolveScope(policy, scope)?.resource.access;
    return access ? [scopes.length > 1 ? `${scope}: ${access}` : access] : [];
  });
  return lines.length > 0 ? [{ label: 'Access', value: lines.join('; ') }] : [];
}

function actionsFor(request: AccessRequest, approvals: CardApproval[], policy: Policy, now: Date, viewer: Actor | undefined, external: ExternalOnCall | undefined): CardAction[] {
  return [...lifecycleActions(request, approvals, policy, now, viewer, external), ...(mayReview(request, policy, now, viewer) ? (['acknowledge'] as const) : [])];
}

/** A pending review is acknowledged by a current reviewer (never the requester); a channel copy offers it to all. */
function mayReview(request: AccessRequest, policy: Policy, now: Date, viewer: Actor | undefined): boolean {
  if (request.reviewStatus !== 'PENDING') return false;
  return !viewer || (currentReviewers(policy, request, now).includes(viewer.id) && !speaksForRequester(policy, viewer, request));
}

function reviewLine(request: AccessRequest, policy: Policy, now: Date, viewer: Actor | undefined): string {
  if (request.reviewStatus === 'ACKNOWLEDGED') {
    const comment = request.reviewComment ? ` — ${request.reviewComment}` : '';
    return `Reviewed by ${request.reviewedBy ?? 'a reviewer'} at ${formatInstant(request.reviewedAt, now)}${comment}`;
  }
  const waiting = `Review: waiting for ${reviewerLabel(policy)}`;
  return viewer && mayReview(request, policy, now, viewer) ? `Break-glass review needed: look at what was done, then acknowledge it. ${waiting}` : waiting;
}

/** Who reviews, as the policy names them: `security`, `erin`. */
function reviewerLabel(policy: Policy): string {
  const refs = reviewerRefs(policy);
  const names = [...new Set(refs.map((ref) => ref.replace(/^group:/, '').replace(/^person:/, '').replace(/^oncall:/, 'on-call ')))];
  return names.join(' or ') || 'the reviewers';
}

function lifecycleActions(request: AccessRequest, approvals: CardApproval[], policy: Policy, now: Date, viewer: Actor | undefined, external: ExternalOnCall | undefined): CardAction[] {
  if (request.status === 'PENDING') {
    if (!viewer) return ['approve', 'deny'];
    const mayDecide =
      currentApprovers(policy, request, now, external).includes(viewer.id) && !speaksForRequester(policy, viewer, request) && !approvals.some((a) => a.personId === viewer.id);
    return mayDecide ? ['approve', 'deny'] : [];
  }
  if (request.status === 'ACTIVE' && (!viewer || speaksForRequester(policy, viewer, request))) {
    return ['done', 'extend', ...(!request.launch && mintsCredential(policy, request) ? (['reveal'] as const) : [])];
  }
  return [];
}

/** True when a scope's provider mints a credential (postgres `mode: ephemeral`), so there is something to reveal. */
export function mintsCredential(policy: Policy, request: AccessRequest): boolean {
  return request.scopes.some((scope) => {
    const provider = resolveScope(policy, scope)?.resource.provider;
    if (provider !== undefined && MINTING_TYPES.has(provider.type)) return true;
    return provider !== undefined && provider.mode !== undefined && (MINTING_MODES[provider.type] ?? []).includes(provider.mode);
  });
}

function stateLine(request: AccessRequest, approvals: CardApproval[], policy: Policy, now: Date): string {
  const approvedBy = approvals.filter((a) => a.verdict === 'approve').map((a) => a.personId);
  const how = request.breakGlass
    ? 'Break-glass'
    : request.autoApproved
      ? `Approved by ${request.decidedBy ?? 'policy'}`
      : `Approved by ${approvedBy.join(', ') || request.decidedBy || 'policy'}`;
  switch (request.status) {
    case 'PENDING': {
      const missing = Math.max(1, request.required - approvedBy.length);
      const so = `${approvedBy.length}/${request.required}${approvedBy.length > 0 ? `: ${approvedBy.join(', ')}` : ''}`;
      const escalated = request.escalationLevel > 0 ? ` · escalated (step ${request.escalationLevel})` : '';
      // statusReason on a PENDING request is an agent approver's hand-over: "Escalated to a human by …: why".
      if (request.humanOnly && request.statusReason) return `${request.statusReason} · waiting for ${missing} more approval${missing === 1 ? '' : 's'} from ${approverLabel(policy, request)} (${so})${escalated}`;
      return `Waiting for ${missing} more approval${missing === 1 ? '' : 's'} from ${approverLabel(policy, request)} (${so})${escalated}`;
    }
    case 'APPROVED':
      return `${how} — granting access…`;
    case 'ACTIVE':
      return `${how} — active until ${formatInstant(request.expiresAt, now)}`;
    case 'REVOKING':
      return request.statusReason ? `Revoking — retrying: ${request.statusReason}` : 'Revoking…';
    case 'REVOKED':
      return `Revoked (${request.revokeCause ?? 'revoked'}) at ${formatInstant(request.revokedAt, now)}`;
    case 'DENIED': {
      const denial = approvals.find((a) => a.verdict === 'deny');
      const by = denial?.personId ?? request.decidedBy ?? 'policy';
      const why = denial?.comment ?? (denial ? null : request.statusReason);
      return `Denied by ${by}${why ? `: ${why}` : ''}`;
    }
    case 'GRANT_FAILED':
      return `Grant failed: ${request.statusReason ?? 'the provider refused'}`;
    case 'TIMED_OUT':
      return 'Timed out: nobody decided within the approval window; request again if you still need it';
    case 'CANCELLED':
      return 'Cancelled';
  }
}

/** Who may approve, as the policy names them: `dba`, `on-call sre-primary`, `erin`. */
function approverLabel(policy: Policy, request: AccessRequest): string {
  const workflow = policy.workflows.get(request.workflow);
  if (!workflow) return 'the approvers';
  const refs = [...workflow.approvers, ...workflow.escalation.slice(0, request.escalationLevel).flatMap((s) => s.addApprovers)];
  const names = [...new Set(refs.map((ref) => ref.replace(/^group:/, '').replace(/^person:/, '').replace(/^oncall:/, 'on-call ')))];
  return names.join(' or ') || 'the approvers';
}

export function requesterLabel(policy: Policy, requesterId: string): string {
  const person = policy.people.get(requesterId);
  if (person) return `${person.name ?? person.id} (${person.email})`;
  const account = policy.serviceAccounts.get(requesterId);
  return account ? `${requesterId} (service account of ${account.owner})` : requesterId;
}

/** `14:32 UTC` today (UTC), `2026-11-24 14:32 UTC` on another day. */
export function formatInstant(at: Date | null, now: Date): string {
  if (!at) return 'an unknown time';
  const iso = at.toISOString();
  const time = `${iso.slice(11, 16)} UTC`;
  return iso.slice(0, 10) === now.toISOString().slice(0, 10) ? time : `${iso.slice(0, 10)} ${time}`;
}
