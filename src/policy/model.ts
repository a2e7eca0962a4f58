/**
 * The validated, resolved policy the rest of Stint reads (DESIGN.md section 5). `load-policy.ts` turns the
 * YAML file into this; nothing outside `policy/` sees the raw YAML shape.
 */

export interface PolicyPerson {
  id: string;
  email: string;
  name?: string;
  slack?: string;
  teams?: string;
  groups: string[];
  /** Identity on each provider type: `{ postgres: 'alice', ldap: 'uid=alice,…' }`. */
  accounts: Record<string, string>;
  disabled: boolean;
}

export interface PolicyServiceAccount {
  id: string;
  owner: string;
  maxJitDurationSec: number;
  /** Resource ids or globs this account may request. */
  resources: string[];
  onGuardrail: 'revoke' | 'suspend';
}

export interface ProviderConfig {
  type: string;
  /**
   * As written; each provider applies its own default (postgres: `membership`, DESIGN.md section 5). Not filled
   * in here, so a provider whose modes are different (aws: identity-center | iam-role) never sees one it lacks.
   */
  mode?: string;
  /** Provider-specific keys (connection, role, …), validated by the provider. */
  [key: string]: unknown;
}

export interface PolicyResource {
  /** The id as written: an exact id or a glob such as `dev-*`. */
  id: string;
  provider: ProviderConfig;
  maxDurationSec: number;
  minDurationSec: number;
  /** Revoke after this long without activity (revoke cause `idle`), where the provider can tell. */
  idleTimeoutSec?: number;
  workflow: string;
  tier?: string;
  description?: string;
  /**
   * What a grant gives, in the provider's words (`Provider.describe`), for cards: filled by the composition root
   * when a policy is loaded (the policy layer does not know providers); absent in tests that build a policy alone.
   */
  access?: string;
}

export type ConditionType = 'RESOURCE' | 'DURATION' | 'RISK_SCORE';
export type ConditionOperator = 'STARTS_WITH' | 'LESS_THAN' | 'EQUALS' | 'IN' | 'MATCHES';

export interface AutoApproveCondition {
  type: ConditionType;
  operator: ConditionOperator;
  /** Strings for RESOURCE, seconds for DURATION, a number for RISK_SCORE; arrays for IN. */
  value: string | number | Array<string | number>;
}

export interface AutoApprove {
  conditions: AutoApproveCondition[];
  /** Optional CEL expression over `request.*`. */
  when?: string;
  /** Auto-approvals per requester per 30 days. */
  maxUsage?: number;
}

export interface EscalationStep {
  afterSec: number;
  /** Target references: `oncall:x`, `group:x`, `person:x`, `channel:slack:#x`, … */
  notify: string[];
  addApprovers: string[];
}

export interface PolicyWorkflow {
  id: string;
  /** Principal references (`group:sre`, `alice`, `oncall:x`) who may request. */
  eligible: string[];
  /** Principal references who may approve. */
  approvers: string[];
  required: number;
  approvalWindowSec: number;
  autoApprove?: AutoApprove;
  escalation: EscalationStep[];
  channels: { slack: string[]; teams: string[] };
  /** `human` unless the file says `ai_review`: then `aiReview.reviewers` (service accounts) may decide too. */
  approverTier: 'human' | 'ai_review';
  aiReview?: AiReview;
  /** The request's ticket must exist in this system and be in one of `states` (issue 12). */
  ticket?: WorkflowTicket;
  /** Second factor before a request proceeds / before a high-risk approval counts (issue 12). */
  stepUp?: StepUp;
}

export interface StepUp {
  /** true, or a CEL condition over `request.*` (as autoApprove.when); absent: never. */
  requester?: boolean | string;
  /** Approvals of requests whose risk score is at least this need the approver's second factor. */
  approverRiskAtLeast?: number;
}

export type TicketSystem = 'jira' | 'servicenow';

export interface WorkflowTicket {
  system: TicketSystem;
  /** A request without a ticket is refused; otherwise only a given ticket is checked. */
  required: boolean;
  /** Allowed states as written (compared case-insensitively). */
  states: string[];
}

/** The ticket systems of the policy's `tickets:` block; credentials stay secret references (env:/file:). */
export interface TicketSystems {
  jira?: { url: string; email: string; token: string };
  servicenow?: { url: string; user: string; password: string; table: string };
}

export interface AiReview {
  /** Service-account ids that may approve, deny or escalate to a human over MCP or REST. */
  reviewers: string[];
  /** Agents decide only requests whose risk score is below this. */
  maxRisk: number;
}

/** A rule evaluated on each introspection of an agent's credential; a match trips the guardrail. */
export interface PolicyGuardrail {
  id: string;
  /** CEL over `introspection.*`, `credential.*`, `request.*`, `serviceAccount`. */
  when: string;
  /** Service-account ids or globs it watches. */
  serviceAccounts: string[];
}

export interface BreakGlass {
  eligible: string[];
  maxDurationSec: number;
  notify: string[];
  /** Who must acknowledge each break-glass use afterwards (principal refs); the file's `reviewers`, else `admins`. */
  reviewers: string[];
}

export interface OncallOverride {
  from: Date;
  /** Exclusive. */
  to: Date;
  person: string;
}

export interface OncallRotation {
  rotation?: string[];
  shiftSec?: number;
  /** First handoff as local wall-clock time in `timezone` (`2026-01-05T09:00`); later ones follow every `shiftSec`. */
  handoff?: string;
  /** The rotation's zone; the loader fills in the policy's timezone when the file gives none. */
  timezone?: string;
  pagerduty?: { scheduleId: string };
  opsgenie?: { schedule: string };
  /** Temporary swaps: `person` is on call from `from` until `to`, whatever the rotation says. */
  overrides: OncallOverride[];
}

export interface RiskWeights {
  breakGlass: number;
  prodTier: number;
  offHours: number;
  longDuration: number;
  recentDenial: number;
  untrustedNetwork: number;
  noncompliantDevice: number;
  newResource: number;
  unusualHour: number;
  unusualDuration: number;
}

export const DEFAULT_RISK_WEIGHTS: RiskWeights = {
  breakGlass: 40,
  prodTier: 20,
  offHours: 15,
  longDuration: 10,
  recentDenial: 15,
  untrustedNetwork: 15,
  noncompliantDevice: 25,
  newResource: 10,
  unusualHour: 10,
  unusualDuration: 5,
};

export interface DigestSchedule {
  /** Local time in the policy's timezone, `HH:MM`. */
  at: string;
  weekends: boolean;
}

export interface Policy {
  version: 1;
  /** Short content hash: recorded on every request as `policyVersion`. */
  fingerprint: string;
  /** The file it came from (for messages). */
  source: string;
  timezone: string;
  people: ReadonlyMap<string, PolicyPerson>;
  /** Group → member person ids (explicit `groups:` merged with people's `groups`). */
  groups: ReadonlyMap<string, readonly string[]>;
  /** Principal references for admins (`group:security`, `erin`). */
  admins: string[];
  identity: { emailDomains: string[] };
  oncall: Readonly<Record<string, OncallRotation>>;
  resources: PolicyResource[];
  workflows: ReadonlyMap<string, PolicyWorkflow>;
  breakGlass?: BreakGlass;
  /** The daily approver digest, or null when the policy says `digest: false`. */
  digest: DigestSchedule | null;
  serviceAccounts: ReadonlyMap<string, PolicyServiceAccount>;
  guardrails: PolicyGuardrail[];
  /** CIDRs requests may come from without the `untrustedNetwork` risk (empty: the signal is off). */
  trustedNetworks: string[];
  /** The header an identity-aware proxy sets to `compliant` or `noncompliant` (lower case), if one is trusted. */
  devicePostureHeader?: string;
  /** Where workflows' tickets are checked; empty when the policy has no `tickets:`. */
  tickets: TicketSystems;
  risk: RiskWeights;
}

/** A requested scope resolved against the policy. */
export interface ResolvedScope {
  /** The concrete id requested (`dev-payments`), not the glob. */
  id: string;
  resource: PolicyResource;
  workflow: PolicyWorkflow;
}
