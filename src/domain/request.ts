/** The request lifecycle of DESIGN.md section 2 as data and a pure transition function. */
import { StintError } from './errors.ts';
import type { Narrowing } from './narrowing.ts';

export const REQUEST_STATUSES = [
  'PENDING',
  'APPROVED',
  'ACTIVE',
  'REVOKING',
  'REVOKED',
  'GRANT_FAILED',
  'DENIED',
  'CANCELLED',
  'TIMED_OUT',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

export const REVOKE_CAUSES = ['expired', 'done', 'revoked', 'guardrail', 'idle', 'offboarded'] as const;
export type RevokeCause = (typeof REVOKE_CAUSES)[number];

export const VIA = ['slack', 'teams', 'api', 'mcp', 'cli', 'policy'] as const;
export type Via = (typeof VIA)[number];

export type Verdict = 'approve' | 'deny';
export type RequesterKind = 'person' | 'service';

/** What moves a request from one state to the next. */
export type LifecycleEvent =
  | 'approve' // the last required approval, or auto-approval, or break-glass
  | 'deny'
  | 'cancel' // the requester withdraws, or the person was offboarded
  | 'time_out' // the approval window lapsed
  | 'grant_ok'
  | 'grant_failed'
  | 'end' // expiry, done, admin revoke, guardrail, idle, offboarded: revocation starts
  | 'revoke_ok';

const TRANSITIONS: Record<RequestStatus, Partial<Record<LifecycleEvent, RequestStatus>>> = {
  PENDING: { approve: 'APPROVED', deny: 'DENIED', cancel: 'CANCELLED', time_out: 'TIMED_OUT' },
  APPROVED: { grant_ok: 'ACTIVE', grant_failed: 'GRANT_FAILED', end: 'REVOKING' },
  ACTIVE: { end: 'REVOKING' },
  // A revoke that fails stays REVOKING and is retried: it is never marked REVOKED on failure.
  REVOKING: { revoke_ok: 'REVOKED' },
  REVOKED: {},
  GRANT_FAILED: {},
  DENIED: {},
  CANCELLED: {},
  TIMED_OUT: {},
};

/** Terminal states: nothing leaves them. */
export const TERMINAL_STATUSES: ReadonlySet<RequestStatus> = new Set(
  REQUEST_STATUSES.filter((s) => Object.keys(TRANSITIONS[s]).length === 0),
);

export function canTransition(from: RequestStatus, event: LifecycleEvent): boolean {
  return TRANSITIONS[from][event] !== undefined;
}

/** The next state, or NOT_PENDING-style refusal naming the current state. */
export function nextStatus(from: RequestStatus, event: LifecycleEvent): RequestStatus {
  const to = TRANSITIONS[from][event];
  if (!to) {
    throw new StintError('NOT_PENDING', `This request is ${from}; it cannot be ${PAST_TENSE[event]} any more`, {
      status: from,
    });
  }
  return to;
}

const PAST_TENSE: Record<LifecycleEvent, string> = {
  approve: 'approved',
  deny: 'denied',
  cancel: 'cancelled',
  time_out: 'timed out',
  grant_ok: 'granted',
  grant_failed: 'marked failed',
  end: 'ended',
  revoke_ok: 'marked revoked',
};

/** An access request as the use cases see it (the `Request` row). */
export interface AccessRequest {
  id: string;
  requesterId: string;
  requesterKind: RequesterKind;
  /** Who created it: the requester, or an admin acting on their behalf. */
  createdBy: string;
  scopes: string[];
  workflow: string;
  reason: string;
  ticket: string | null;
  /** The ticket's title as its system gave it when the workflow checked it (issue 12); null otherwise. */
  ticketTitle: string | null;
  durationSec: number;
  status: RequestStatus;
  required: number;
  riskScore: number;
  riskSignals: string[];
  generation: number;
  via: Via;
  notifyChannels: string[];
  autoApproved: boolean;
  decidedBy: string | null;
  createdAt: Date;
  decidedAt: Date | null;
  activatedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  revokeCause: RevokeCause | null;
  breakGlass: boolean;
  escalationLevel: number;
  nextActionAt: Date | null;
  /** Why the request is in its state, when that needs saying (GRANT_FAILED's reason; a revoke that keeps failing). */
  statusReason: string | null;
  policyVersion: string;
  /** Break-glass only: the follow-up review security must acknowledge (PENDING from creation); null otherwise. */
  reviewStatus: ReviewStatus | null;
  reviewedBy: string | null;
  reviewedAt: Date | null;
  reviewComment: string | null;
  /** When the reviewers were last reminded (once a day while PENDING). */
  reviewRemindedAt: Date | null;
  /** An agent's model reasoning for asking (MCP `request_access`); shown on the card beside the reason (the task). */
  agentReasoning: string | null;
  /** An agent approver handed it to people (`escalate_to_human`): no agent may decide it any more. */
  humanOnly: boolean;
  /** What the request was narrowed to (`SELECT on orders.shipments`); null: the resource's default access. */
  narrowing: Narrowing | null;
  /** Context signals when it was made (source IP, trusted network, device, baseline); null for older requests. */
  context: RequestContext | null;
  /** Launch mode (issue 8): used through the SSH gateway (`stint ssh`), which holds the credential; never revealed. */
  launch: boolean;
}

/** The request's context signals as recorded (the shape of policy/context-signals.ts). */
export interface RequestContext {
  sourceIp: string | null;
  trustedNetwork: boolean | null;
  device: 'compliant' | 'noncompliant' | 'unknown';
  offHours: boolean;
  newResource: boolean;
  unusualHour: boolean;
  unusualDuration: boolean;
}

export const REVIEW_STATUSES = ['PENDING', 'ACKNOWLEDGED'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

export interface Decision {
  id: string;
  requestId: string;
  approverId: string;
  verdict: Verdict;
  comment: string | null;
  via: Via;
  at: Date;
}

/** A ticket key (`INC-1234`) as the first word of a reason is taken as the request's ticket. */
export const TICKET_PATTERN = /^[A-Z][A-Z0-9]+-\d+$/;

export function ticketFromReason(reason: string): string | null {
  const first = reason.trim().split(/\s+/)[0] ?? '';
  return TICKET_PATTERN.test(first) ? first : null;
}
