/**
 * Wire shapes of the REST API (DESIGN.md section 6), as zod schemas: bodies are validated with them and
 * `/openapi.json` is generated from them, so the document cannot drift from the code.
 */
import { z } from 'zod';
import { EXPORT_FORMATS } from '../audit/export-events.ts';
import { REQUEST_STATUSES } from '../domain/request.ts';

export const CreateRequestBody = z
  .object({
    identityId: z.string().min(1).optional().describe('Policy person or service-account id; defaults to the token owner'),
    reason: z.string().max(2000).describe('Why access is needed; a ticket key as first word becomes the ticket'),
    scopes: z.array(z.string().min(1).max(200)).min(1).max(20).describe('Policy resource ids'),
    duration: z.string().min(1).max(32).describe('45s, 15m, 2h, 1d or ISO 8601 (PT2H)'),
    ticket: z.string().max(64).optional().describe('a ticket key (INC-1234, INC0012345); checked in Jira / ServiceNow where the workflow has ticket:'),
    notifyChannels: z.array(z.enum(['slack', 'teams', 'email'])).max(3).optional(),
    breakGlass: z.boolean().optional(),
    reasoning: z.string().max(4000).optional().describe("an agent's model reasoning for asking; shown on the card and audited"),
    narrowing: z.string().max(2000).optional().describe('less than the default access: "SELECT on orders.shipments; SELECT, UPDATE on orders.items" (postgres ephemeral resources) or "s3:GetObject on arn:aws:s3:::exports/*" (aws iam-role resources: a session policy)'),
    launch: z
      .boolean()
      .optional()
      .describe(
        'launch mode (`stint ssh`): the session goes through the SSH gateway, which holds the credential; one resource whose provider can launch and whose jit has create_ephemeral: true, not one that lets the user supply the host',
      ),
    mfaCode: z.string().max(16).optional().describe('the 6-digit code from your authenticator, where the workflow asks for step-up (answer STEP_UP_REQUIRED); leave it out after signing in again through the answer\'s details.url'),
  })
  .strict();

export const DevicePostureBody = z
  .object({
    personId: z.string().min(1).max(200).describe('The policy person id the device belongs to'),
    compliant: z.boolean().describe('What the MDM says about the device now'),
    deviceId: z.string().max(200).optional(),
    source: z.string().max(200).optional().describe('Which MDM or check said so'),
  })
  .strict();

export const DecisionBody = z
  .object({
    comment: z.string().max(2000).optional(),
    reasoning: z.string().max(4000).optional().describe('required from agent approvers (service accounts): why; audited'),
    mfaCode: z.string().max(16).optional().describe('the 6-digit code from your authenticator, when approving a request whose risk reaches the workflow\'s stepUp.approvers.riskAtLeast (answer STEP_UP_REQUIRED); leave it out after signing in again through the answer\'s details.url'),
  })
  .strict();

export const EscalateBody = z.object({ reasoning: z.string().min(1).max(4000).describe('why a person should decide; shown on the card and audited') }).strict();

export const CommentBody = z.object({ comment: z.string().max(2000).optional() }).strict();

export const ExtendBody = z
  .object({
    duration: z.string().min(1).max(32).describe('How much later the grant ends: 30m, 1h or ISO 8601 (PT1H)'),
    comment: z.string().max(2000).optional(),
  })
  .strict();

/** Revealing takes no parameters: an empty body or `{}`. */
export const RevealBody = z.object({}).strict();

export const CredentialView = z.object({
  resourceId: z.string(),
  username: z.string(),
  password: z.string().describe('shown once: minted (or rotated) for this answer, never stored'),
  expiresAt: z.string().describe('ISO 8601 UTC'),
  hint: z.string().nullable().describe('how to connect, without the password'),
});

export const RevealedCredentials = z.object({ requestId: z.string(), credentials: z.array(CredentialView) });

export const ApproverView = z.object({
  id: z.string(),
  email: z.string(),
  status: z.enum(['pending', 'approved', 'denied']),
  decidedAt: z.string().nullable(),
  comment: z.string().nullable().optional(),
});

const timestamp = z.string().nullable().describe('ISO 8601 UTC');

export const ReviewView = z
  .object({
    status: z.enum(['pending', 'acknowledged']),
    reviewers: z.array(z.string()).describe('emails of who may acknowledge it under the current policy (breakGlass.reviewers)'),
    acknowledgedBy: z.string().nullable(),
    acknowledgedAt: timestamp,
    comment: z.string().nullable(),
  })
  .nullable()
  .describe('the follow-up review of a break-glass use; null for other requests');

export const ReviewBody = z.object({ comment: z.string().max(2000).optional().describe('what the reviewer checked; audited and shown on the cards') }).strict();

export const RequestView = z.object({
  id: z.string(),
  status: z.enum(REQUEST_STATUSES),
  identityId: z.string(),
  scopes: z.array(z.string()),
  reason: z.string(),
  ticket: z.string().nullable(),
  ticketTitle: z.string().nullable().describe("the ticket's title from Jira or ServiceNow, where the workflow checks tickets"),
  duration: z.number().describe('seconds'),
  requestedAt: z.string(),
  decidedAt: timestamp,
  activatedAt: timestamp,
  expiresAt: timestamp,
  revokedAt: timestamp,
  revokeCause: z.string().nullable(),
  statusReason: z.string().nullable().describe("why the request is in its state: GRANT_FAILED's reason, a revoke being retried, an escalation to a human"),
  requesterKind: z.enum(['person', 'service']).describe('service: a service account or AI agent; its reason is the task context'),
  agentReasoning: z.string().nullable().describe("the agent's model reasoning for asking"),
  humanOnly: z.boolean().describe('an agent approver escalated it to people: no agent may decide it'),
  narrowing: z.string().nullable().describe('what the request was narrowed to ("SELECT on orders.shipments"); null: the default access'),
  context: z
    .object({
      sourceIp: z.string().nullable().describe('null for chat requests'),
      trustedNetwork: z.boolean().nullable().describe('in the policy trustedNetworks; null without an IP or without trustedNetworks'),
      device: z.enum(['compliant', 'noncompliant', 'unknown']),
      offHours: z.boolean(),
      newResource: z.boolean(),
      unusualHour: z.boolean(),
      unusualDuration: z.boolean(),
    })
    .nullable()
    .describe('context signals when the request was made (issue 12)'),
  launch: z.boolean().describe('launch mode: used through the SSH gateway with `stint ssh`; no credential is ever revealed'),
  breakGlass: z.boolean(),
  riskScore: z.number(),
  riskSignals: z.array(z.string()),
  approvers: z.array(ApproverView),
  required: z.number(),
  autoApproved: z.boolean(),
  decidedBy: z.string().nullable(),
  review: ReviewView,
  warnings: z.array(z.string()).optional(),
});

export const RequestList = z.object({ requests: z.array(RequestView) });

export const ListQuery = z
  .object({
    status: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (!v) return undefined;
        const list = v.split(',').map((s) => s.trim().toUpperCase());
        const bad = list.filter((s) => !(REQUEST_STATUSES as readonly string[]).includes(s));
        if (bad.length) ctx.addIssue({ code: 'custom', message: `unknown status ${bad.join(', ')}; use ${REQUEST_STATUSES.join(', ')}` });
        return list as Array<(typeof REQUEST_STATUSES)[number]>;
      }),
    view: z.enum(['mine', 'awaiting', 'all']).optional(),
    review: z
      .enum(['pending', 'acknowledged'])
      .optional()
      .transform((v) => (v === undefined ? undefined : v === 'pending' ? ('PENDING' as const) : ('ACKNOWLEDGED' as const))),
    limit: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();

export const CreateTokenBody = z
  .object({
    for: z.string().min(1),
    scopes: z.array(z.string()).optional(),
    expires: z.string().optional().describe('Lifetime such as 90d'),
    label: z.string().max(200).optional(),
  })
  .strict();

export const TokenCreated = z.object({ token: z.string(), prefix: z.string(), ownerId: z.string(), scopes: z.array(z.string()), expiresAt: z.string().nullable() });

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});

export const AuditQuery = z
  .object({
    after: z.coerce.bigint().min(0n).default(0n),
    limit: z.coerce.number().int().min(1).max(100_000).default(10_000).describe('page size; ignored with follow'),
    format: z.enum(EXPORT_FORMATS).default('json'),
    follow: z.enum(['true', 'false']).default('false').transform((v) => v === 'true').describe('keep the response open and stream new events as they are appended'),
  })
  .strict();

/** `POST /api/v1/introspect`, as a form or JSON (RFC 7662; `token_type_hint` is accepted and ignored). */
export const IntrospectBody = z
  .object({
    token: z.string().min(1).max(512).describe('the stint_jit_ credential presented to the resource server'),
    scope: z.string().min(1).max(200).optional().describe('the scope the resource server is about to allow (guardrail context)'),
    token_type_hint: z.string().max(64).optional(),
  })
  .strict();

export const IntrospectionAnswer = z.object({
  active: z.boolean(),
  scope: z.string().optional().describe('space-separated resource ids the credential carries'),
  exp: z.number().optional().describe('expiry, seconds since the epoch'),
  iat: z.number().optional().describe('issued (granted) at, seconds since the epoch'),
  sub: z.string().optional().describe('the policy person or service account holding it'),
  request_id: z.string().optional(),
  token_type: z.literal('stint_jit').optional(),
  client_id: z.string().optional().describe('the service account, for an agent'),
});

/** The long poll's query: `timeout` as `30s`, `1m` or plain seconds (default 30 s, at most 60 s). */
export const WaitQuery = z.object({ timeout: z.string().max(32).optional() }).strict();

export const WaitAnswer = RequestView.extend({
  settled: z.boolean().describe('true once the request left PENDING and APPROVED (ACTIVE, DENIED, GRANT_FAILED, …); false when the timeout came first: call again'),
});

/** Step-up enrolment (issue 12). */
export const MfaConfirmBody = z.object({ code: z.string().min(1).max(16).describe('the first 6-digit code your authenticator shows for Stint') }).strict();

export const MfaEnrollment = z.object({
  secret: z.string().describe('the TOTP seed in base32, shown once: type it into your authenticator app'),
  uri: z.string().describe('the same as an otpauth:// URI (for a QR code)'),
  confirmWith: z.string().describe('what to do next'),
});
