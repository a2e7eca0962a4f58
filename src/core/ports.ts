/**
 * The small interfaces use cases receive (STYLE.md: ports). Chat copies and the Teams directory are in
 * chat-ports.ts, agents' in agent-ports.ts, a request's context in context-ports.ts (all re-exported here). Real
 * implementations live in store/, audit/, notify/; fakes for unit tests in test/fakes/. No Prisma, Redis or HTTP.
 */
import type { Narrowing } from '../domain/narrowing.ts';
import type { Notifier } from './notification.ts';
import type { ServiceAccountStore } from './agent-ports.ts';
import type { DevicePostureStore, TicketPort } from './context-ports.ts';
import type { MfaStore, ReLoginPort } from './mfa-ports.ts';
import type { SecretBox } from './secret-box.ts';
import type { AccessRequest, Decision, RequestStatus, ReviewStatus } from '../domain/request.ts';
import type { Policy } from '../policy/model.ts';

export interface Clock {
  now(): Date;
}

/** Where the current policy comes from; `current()` throws UNAVAILABLE when none could be loaded (fail closed). */
export interface PolicySource {
  current(): Policy;
}

/** An audit event before it is chained (the store adds seq, prevHash and hash). */
export interface AuditInput {
  actor: string;
  action: string;
  requestId?: string | null;
  data?: Record<string, unknown>;
  at: Date;
}

/** A chained audit event as stored. */
export interface AuditRecord {
  seq: bigint;
  at: Date;
  actor: string;
  action: string;
  requestId: string | null;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

/** Fields a transition may set beside the status. */
export type RequestPatch = Partial<
  Pick<
    AccessRequest,
    | 'decidedAt'
    | 'decidedBy'
    | 'activatedAt'
    | 'expiresAt'
    | 'durationSec'
    | 'revokedAt'
    | 'revokeCause'
    | 'nextActionAt'
    | 'escalationLevel'
    | 'generation'
    | 'autoApproved'
    | 'statusReason'
    | 'humanOnly'
  >
>;

/**
 * What a use case may do inside one database transaction. Invariant 2: `lockRequest` first
 * (`SELECT … FOR UPDATE`), then `transition` (conditional update, row count checked by the caller).
 * Invariant 4: `appendAudit` events commit with the transaction; the store writes them when the work is done,
 * in call order, so the chain's lock is always the transaction's last.
 */
export interface StoreTx {
  lockRequest(id: string): Promise<AccessRequest | null>;
  insertRequest(request: AccessRequest): Promise<void>;
  /** `UPDATE … SET status=to, … WHERE id=$1 AND status=from`; true when exactly one row moved. */
  transition(id: string, from: RequestStatus, to: RequestStatus, patch?: RequestPatch): Promise<boolean>;
  /** Inserts a decision; `false` when this approver already decided this request (unique key). */
  insertDecision(decision: Decision): Promise<boolean>;
  listDecisions(requestId: string): Promise<Decision[]>;
  /** Queues an audit event for this transaction (written at its end, under the chain lock). */
  appendAudit(event: AuditInput): void;
  /** Inserts or replaces the handle of one scope of a request (unique on requestId + resourceId). */
  saveGrantHandle(handle: GrantHandleRecord): Promise<void>;
  /** Gives a request's lease back when this transaction commits (only when `owner` still holds it); see core/lease.ts. */
  releaseRequest(id: string, owner: string): Promise<void>;
  /** RequestStore.claimRequest with this transaction: the lease is taken when it commits. */
  claimRequest(id: string, owner: string, until: Date, now: Date): Promise<AccessRequest | null>;
  /**
   * Claims once-a-period work (`digest` for `2026-12-02`): true for the first claim only, across processes and
   * restarts, so a leader that took over does not do it again. Rolled back with the transaction.
   */
  claimPeriodicRun(name: string, period: string, at: Date): Promise<boolean>;
  /** `UPDATE … SET reviewStatus='ACKNOWLEDGED', … WHERE id=$1 AND reviewStatus='PENDING'`; true when the row moved. */
  acknowledgeReview(id: string, review: ReviewAcknowledgement): Promise<boolean>;
  /**
   * Records a review reminder at `at`, only while the review is PENDING and its last reminder (or the request's
   * creation) is at or before `dueBefore`: two leaders, or a sweep after a restart, cannot remind twice.
   */
  markReviewReminded(id: string, at: Date, dueBefore: Date): Promise<boolean>;
}

export interface ReviewAcknowledgement {
  reviewedBy: string;
  reviewedAt: Date;
  reviewComment: string | null;
}

/** One scope of a request as granted: what revoke needs later (the provider config holds secret references only). */
export interface GrantHandleRecord {
  requestId: string;
  resourceId: string;
  provider: string;
  config: Record<string, unknown>;
  data: GrantHandleData;
  attempts: number;
  lastError: string | null;
}

export interface RequestFilter {
  statuses?: RequestStatus[];
  requesterId?: string;
  /** Only requests in one of these workflows (used to list what an approver may see). */
  workflows?: string[];
  limit?: number;
  /** Keyset pagination: requests created before this id (ids are ULID-ordered). */
  beforeId?: string;
  /** Only break-glass requests whose follow-up review is in this state. */
  reviewStatus?: ReviewStatus;
  /** Only these requests (a sweep reading many at once). */
  ids?: string[];
}

export interface RequestStore {
  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>;
  getRequest(id: string): Promise<AccessRequest | null>;
  listRequests(filter: RequestFilter): Promise<AccessRequest[]>;
  listDecisions(requestId: string): Promise<Decision[]>;
  /** Auto-approved requests of this requester created at or after `since` (for `maxUsage`). */
  countAutoApprovals(requesterId: string, since: Date): Promise<number>;
  /** Denied requests of this requester decided at or after `since` (a risk signal). */
  countDenials(requesterId: string, since: Date): Promise<number>;
  /** Requests of these requesters that are still PENDING, APPROVED or ACTIVE (offboarding). */
  listOpenRequestsOf(requesterIds: string[]): Promise<AccessRequest[]>;
  listGrantHandles(requestId: string): Promise<GrantHandleRecord[]>;
  /** PENDING, APPROVED, ACTIVE and REVOKING requests whose nextActionAt is at or before `now`, most overdue first. */
  listDueRequests(now: Date, limit: number): Promise<AccessRequest[]>;
  /** Whether another ACTIVE request of this requester (not `exceptRequestId`) covers `resourceId` (reference counting). */
  hasOtherActiveHolder(requesterId: string, resourceId: string, exceptRequestId: string): Promise<boolean>;
  /** Counts a failed provider call on a handle (attempts + 1, lastError), outside any transaction. */
  recordGrantError(requestId: string, resourceId: string, error: string): Promise<void>;
  /** REVOKED since `since`, and GRANT_FAILED decided since `since`, newest first (the drift sweep looks at what they left). */
  listRecentlyEnded(since: Date, limit: number): Promise<AccessRequest[]>;
  /** ACTIVE requests whose expiry is after `after` and at or before `before`, soonest first (timers to re-create). */
  listActiveExpiringBetween(after: Date, before: Date, limit: number): Promise<AccessRequest[]>;
  /** PENDING requests whose next SLA action (step or window end) is after `after` and at or before `before`, soonest first. */
  listPendingDueBetween(after: Date, before: Date, limit: number): Promise<AccessRequest[]>;
  /** Break-glass requests whose review is PENDING and last reminded (or created) at or before `dueBefore`, oldest first. */
  listReviewsDue(dueBefore: Date, limit: number): Promise<AccessRequest[]>;
  /** The handles of many requests in one read (the drift sweep). */
  listGrantHandlesOf(requestIds: string[]): Promise<GrantHandleRecord[]>;
  /**
   * Takes (or renews) the lease on a request's provider work until `until`; null when another owner holds an
   * unexpired lease (or there is no such request). One worker at a time calls providers for a request (fault test 6:
   * each call once). Returns the request as it stands once claimed, so the holder needs no second read.
   */
  claimRequest(id: string, owner: string, until: Date, now: Date): Promise<AccessRequest | null>;
  /** Gives the lease back (only when `owner` still holds it). */
  releaseRequest(id: string, owner: string): Promise<void>;
}

export interface PersonRecord {
  id: string;
  email: string;
  displayName: string | null;
  slackUserId: string | null;
  teamsAadObjectId: string | null;
  disabled: boolean;
}

export interface PersonStore {
  /** Makes the Person table match the policy: upserts these, marks the others disabled. Returns ids newly disabled. */
  syncPeople(people: PersonRecord[], serviceAccounts: Array<{ id: string; ownerId: string }>): Promise<string[]>;
}

export type TokenOwnerKind = 'person' | 'service' | 'bootstrap';
export const TOKEN_SCOPES = ['request', 'approve', 'admin', 'introspect', 'audit:read'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

export interface ApiTokenRecord {
  id: string;
  prefix: string;
  hash: string;
  ownerId: string;
  ownerKind: TokenOwnerKind;
  scopes: TokenScope[];
  label: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export interface TokenStore {
  insertToken(token: ApiTokenRecord, audit: AuditInput): Promise<void>;
  /** The token, and for a service account's token whether the account is suspended (its tokens are then refused). */
  findTokenByHash(hash: string): Promise<(ApiTokenRecord & { ownerSuspension: { at: Date; reason: string | null } | null }) | null>;
  /** Marks revoked; returns the token, or null when no live token has this prefix. */
  revokeToken(prefix: string, audit: AuditInput): Promise<ApiTokenRecord | null>;
  listTokens(ownerId?: string): Promise<ApiTokenRecord[]>;
  /**
   * Revokes the live token `prefix` and inserts `fresh` with its owner, scopes, label and expiry, in one transaction
   * with `audit`; returns both, or null when no live token has this prefix (nothing inserted).
   */
  rotateToken(
    prefix: string,
    fresh: Pick<ApiTokenRecord, 'id' | 'prefix' | 'hash' | 'createdAt'>,
    audit: AuditInput,
  ): Promise<{ previous: ApiTokenRecord; record: ApiTokenRecord } | null>;
}

export interface AuditReader {
  /** Events with seq > afterSeq in seq order, in batches (keyset pagination). */
  readAudit(afterSeq: bigint, limit: number): Promise<AuditRecord[]>;
  /** All events after `afterSeq`, streamed in batches (verify, export). */
  streamAudit(afterSeq: bigint, batch?: number): AsyncIterable<AuditRecord>;
  /** Appends an event that belongs to no request transition (policy reloads, token issues). */
  appendAudit(event: AuditInput): Promise<AuditRecord>;
}

export type { DigestItem, DigestSender, Notification, Notifier } from './notification.ts';
export type { ChatMessageRecord, ChatMessageStore, ConversationRefRecord, TeamsDirectoryStore, TeamsUser } from './chat-ports.ts';
export type { GuardrailCheck, JitCredentialLookup, JitCredentialRecord, JitCredentialStore, ServiceAccountRecord, ServiceAccountStore } from './agent-ports.ts';
export type { DevicePostureRecord, DevicePostureStore, TicketInfo, TicketPort } from './context-ports.ts';
export type { SessionRecordingRecord, SessionRecordingStore } from './session-ports.ts';
export type { MfaStore, ReLoginPort, StepUpChallengeRecord, TotpFactorRecord } from './mfa-ports.ts';

/**
 * Precise alarm clocks for a request's next action (BullMQ queues in production). Best effort by contract:
 * PostgreSQL's `nextActionAt` is the real schedule and the reconciler re-creates lost timers, so an
 * implementation never throws (Redis down → logged; the sweep acts within its interval). Job data is ids only.
 */
export interface Scheduler {
  /** Activate this approved request as soon as a worker is free (queue `grant`). */
  activateSoon(requestId: string): Promise<void>;
  /**
   * Revoke at `at` if still due then (queue `revoke`): at expiry, a retry, or now. `key` makes the alarm unique
   * (`g<generation>` for an expiry, `r<attempt>` for a retry), so re-setting a pending one is a no-op.
   */
  revokeAt(requestId: string, key: string, at: Date): Promise<void>;
  /** Remind the requester at `at` that the grant of this generation ends soon. */
  remindAt(requestId: string, generation: number, at: Date): Promise<void>;
  /**
   * Move a pending request along its SLA at `at` (queue `escalate`): the next escalation step or the end of the
   * approval window. `key` (`l<level>`, `window`) makes the alarm unique.
   */
  escalateAt(requestId: string, key: string, at: Date): Promise<void>;
}

/** Who is on call in a policy rotation at an instant, as person ids (src/oncall: built-in, PagerDuty, Opsgenie). */
export interface OnCallPort {
  who(rotation: string, at: Date): Promise<string[]>;
}

/** The ports every request use case receives. */
export interface CorePorts {
  store: RequestStore;
  policy: PolicySource;
  clock: Clock;
  notifier: Notifier;
  scheduler: Scheduler;
  /**
   * Asked for rotations kept in PagerDuty or Opsgenie when they approve (`approvers: [oncall:x]`); absent in a
   * deployment without them — such a rotation then approves nobody (fail closed).
   */
  oncall?: OnCallPort;
  /** Notification channels this deployment has configured (`slack`, `teams`, `email`). */
  channels: ReadonlySet<string>;
  /** Service accounts' suspension (a suspended one may not request); the composition root always gives it. */
  accounts?: Pick<ServiceAccountStore, 'getServiceAccount'>;
  /** Device posture reported by an MDM (issue 12); absent: every device is `unknown` unless a proxy header says. */
  devices?: Pick<DevicePostureStore, 'getDevicePosture'>;
  /** Jira / ServiceNow, for workflows with `ticket:` (issue 12); absent: such a workflow fails closed (UNAVAILABLE). */
  tickets?: TicketPort;
  /** The providers, for rules that depend on what a type can do (launch mode); absent: no resource can be launched. */
  providers?: ProviderLookup;
  /**
   * Second factors for step-up (issue 12): the store, the box that seals TOTP seeds (`STINT_SECRET_KEY`) and OIDC
   * re-login (`STINT_OIDC_ISSUER`). Without the box TOTP enrolment is refused; with neither, a workflow that asks for
   * step-up fails closed (UNAVAILABLE).
   */
  mfa?: { store: MfaStore; box: SecretBox | null; reLogin?: ReLoginPort | null };
}

/** What a provider is asked to grant: one scope of one request, for one person's account on that system. */
export interface GrantTarget {
  requestId: string;
  resourceId: string;
  /** The policy person who gets the access (a service account's own id for agents). */
  principalId: string;
  /** The person's identity on this provider type (`accounts.<type>` in the policy), when the mode needs one. */
  account: string | undefined;
  expiresAt: Date;
  /** Less than the resource's default access (only for resources policy/narrowable.ts allows). */
  narrowing?: Narrowing;
  /**
   * Launch mode (`stint ssh`): the grant makes an account nobody gets a credential for; the SSH gateway later
   * authorizes a key it holds in memory for one session (`Provider.authorizeLaunch`).
   */
  launch?: boolean;
}

/** Where the SSH gateway opens a launched session: the target host and the account the grant made there. */
export interface LaunchTarget {
  host: string;
  port: number;
  username: string;
  /** The target's pinned host keys, each the base64 key blob (second field of a known_hosts line); never empty. */
  hostKeys: string[];
}

/** What revoke needs later, as JSON: ids and names, never a secret. */
export type GrantHandleData = Record<string, unknown> & { preexisting?: boolean };

export interface MintedCredential {
  username: string;
  password: string;
  expiresAt: Date;
  /** How to use it, e.g. a connection string without the password. */
  hint?: string;
}

/**
 * A system Stint grants access on (DESIGN.md section 7). `config` is the resource's `provider:` block.
 * grant is idempotent (the same target twice gives the same handle); revoke is idempotent (absent is success).
 */
export interface Provider {
  readonly type: string;
  /** Throws POLICY_INVALID naming the field when the config cannot work (checked at policy load). */
  validate(config: Record<string, unknown>): void;
  grant(config: Record<string, unknown>, target: GrantTarget): Promise<GrantHandleData>;
  extend(config: Record<string, unknown>, handle: GrantHandleData, newExpiry: Date): Promise<GrantHandleData>;
  /**
   * Ends the access, including sessions in use. `stillNeeded`: another ACTIVE request of the same person
   * needs the same access (reference counting) — then nothing is removed.
   */
  revoke(config: Record<string, unknown>, handle: GrantHandleData, options: { stillNeeded: boolean }): Promise<void>;
  check(config: Record<string, unknown>, handle: GrantHandleData): Promise<'present' | 'absent'>;
  describe(config: Record<string, unknown>): string;
  /**
   * What Stint made on the target for this resource, found by its own markers (e.g. bindings labelled with the
   * request id), for the reconciler's orphan sweep, which revokes each one whose request is not ACTIVE. Only for
   * types whose grants carry such a marker.
   */
  listGranted?(config: Record<string, unknown>): Promise<Array<{ requestId: string; handle: GrantHandleData }>>;
  /**
   * How the grantee uses the access now, for idle revocation (`idleTimeout`): `active` while they run something,
   * else the last moment they did (null: no session). Only for types that can see sessions.
   */
  activity?(config: Record<string, unknown>, handle: GrantHandleData): Promise<{ active: boolean; lastAt: Date | null }>;
  /**
   * Launch mode (`stint ssh`): authorizes `publicKey` (OpenSSH one-line format), generated in memory by the gateway
   * for one session, on the account a launch grant made, and says where to connect. Only for types that can launch;
   * the key goes when the grant is revoked.
   */
  authorizeLaunch?(config: Record<string, unknown>, handle: GrantHandleData, publicKey: string): Promise<LaunchTarget>;
  /** Mints (or rotates) a credential on demand; only for types that have one. The caller never stores it. */
  credential?(config: Record<string, unknown>, handle: GrantHandleData): Promise<MintedCredential>;
  close?(): Promise<void>;
}

/** Providers by type (the registry); `get` throws POLICY_INVALID for a type this build does not have. */
export interface ProviderLookup {
  get(type: string): Provider;
}

/** What the grant use cases receive. */
export interface GrantPorts {
  store: RequestStore;
  policy: PolicySource;
  clock: Clock;
  notifier: Notifier;
  scheduler: Scheduler;
  providers: ProviderLookup;
  /** As in CorePorts: who is on call in external approver rotations (an approver may revoke or extend). */
  oncall?: OnCallPort;
  /** As in CorePorts: where grants and revokes are commented on the request's ticket. */
  tickets?: TicketPort;
}
