/**
 * What use cases tell the world (chat, pagers, logs, metrics) and the approvers' digest: the notification port of
 * ports.ts, kept apart because every kind is listed here. Re-exported by ports.ts.
 */
import type { AccessRequest } from '../domain/request.ts';

/** Platform-neutral notifications; chat, pager and email adapters implement this. */
export type Notification =
  | { kind: 'request.pending'; request: AccessRequest; approverIds: string[] }
  /** An approval or denial; `request.status` is still PENDING when more approvals are needed. */
  | { kind: 'request.decided'; request: AccessRequest; actorId: string }
  | { kind: 'request.cancelled'; request: AccessRequest; actorId: string }
  /**
   * An escalation step fell due (`level` = steps reached, 1-based): `notify` are the step's targets as the policy
   * names them (`oncall:x`, `group:x`, `person:x`, `channel:slack:…`), `people` those resolved at this moment.
   */
  | { kind: 'request.escalated'; request: AccessRequest; level: number; notify: string[]; people: string[] }
  /** Halfway through a stage: these approvers have not decided yet (a nudge). */
  | { kind: 'request.reminder'; request: AccessRequest; approverIds: string[] }
  /** Nobody decided within the approval window: the request is TIMED_OUT. */
  | { kind: 'request.timed_out'; request: AccessRequest }
  /** Break-glass was used: loud posts to `notify`, and the review task to each of `reviewerIds` (once per person). */
  | { kind: 'breakglass.used'; request: AccessRequest; notify: string[]; reviewerIds: string[] }
  /** A reviewer acknowledged the break-glass review: every copy of the card shows it. */
  | { kind: 'breakglass.reviewed'; request: AccessRequest; actorId: string }
  /** The review still waits (reminded once a day): a fresh copy of the card to each reviewer. */
  | { kind: 'breakglass.review_reminder'; request: AccessRequest; reviewerIds: string[] }
  | { kind: 'policy.reload_failed'; message: string }
  | { kind: 'grant.activated'; request: AccessRequest }
  | { kind: 'grant.failed'; request: AccessRequest; reason: string }
  | { kind: 'grant.revoked'; request: AccessRequest }
  /** The expiry moved later (`request.expiresAt` is the new one). */
  | { kind: 'grant.extended'; request: AccessRequest; actorId: string; previousExpiresAt: Date }
  /**
   * The drift sweep found a provider disagreeing with the store: access `present` that should be gone (`fixed`
   * when the re-revoke worked), or access `absent` under an ACTIVE grant (removed out of band).
   */
  | { kind: 'grant.drift'; request: AccessRequest; resourceId: string; found: 'present' | 'absent'; fixed: boolean }
  /** The grant ends soon (the requester may say done or extend). */
  | { kind: 'grant.expiring'; request: AccessRequest; minutesLeft: number }
  /** A revoke attempt failed: the access may still be there; the request stays REVOKING and is retried. */
  | { kind: 'grant.revoke_failed'; request: AccessRequest; reason: string; attempt: number }
  /**
   * A guardrail tripped on a service account (issue 10): its grants were revoked (`revoked`: revocation started)
   * and pending requests cancelled, and it was suspended where the policy says `onGuardrail: suspend`. Loud: to
   * the account's owner and the admins.
   */
  | GuardrailTripped;

export interface GuardrailTripped {
  kind: 'guardrail.tripped';
  serviceAccountId: string;
  ownerId: string;
  reason: string;
  /** The policy guardrail that matched; null for a trip by hand (`POST /api/v1/guardrails/trip`). */
  rule: string | null;
  actorId: string;
  suspended: boolean;
  revoked: string[];
  cancelled: string[];
  at: Date;
}

export interface Notifier {
  notify(notification: Notification): Promise<void>;
}

/** One request in an approver's daily digest, with the approvals it has so far. */
export interface DigestItem {
  request: AccessRequest;
  approvals: number;
}

/** Sends an approver their daily digest (chat DMs); never throws — a platform that refuses logs it. */
export interface DigestSender {
  sendDigest(personId: string, items: DigestItem[]): Promise<void>;
}
