/**
 * The policy file as written (DESIGN.md section 5), as a zod schema: the single source for validation and
 * for the editor JSON Schema. Every object is strict (unknown keys are errors) except a resource's
 * `provider`, whose extra keys the provider itself validates. Durations stay strings here; `build-policy.ts`
 * turns the validated file into the model with defaults applied.
 */
import { z } from 'zod';
import { parseDuration } from '../domain/duration.ts';
import { compileGuardrail } from './cel-guardrail.ts';
import { compileWhen } from './cel-when.ts';
import { isCidr } from './context-signals.ts';
import { isLocalDateTime, isValidTimeZone } from './zoned-time.ts';

/** Person, group, workflow, on-call and service-account names: no `:` (that separates reference kinds). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]*$/;
const name = (what: string) =>
  z.string({ error: `expected ${what} (a string)` }).regex(NAME, { error: `${what} may use letters, digits and . _ @ + - only` });

const duration = z
  .string({ error: 'expected a duration string such as 15m, 2h or 1d' })
  .superRefine((text, ctx) => {
    try {
      parseDuration(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
    }
  })
  .describe('A duration: 45s, 15m, 2h, 1d, 1w, 1h30m or ISO 8601 (PT2H)');

const timeZone = z
  .string()
  .refine(isValidTimeZone, { error: (iss) => `unknown time zone "${String(iss.input)}" (use an IANA name such as Europe/Berlin)` })
  .describe('An IANA time zone such as Europe/Berlin');

const dateTime = z
  .string({ error: 'expected a date-time such as 2026-01-05T09:00' })
  .refine(isLocalDateTime, { error: 'expected a date-time such as 2026-01-05T09:00 (local to the rotation\'s time zone unless it ends in Z or an offset)' });

const refList = z.array(z.string().min(1)).describe('Principal references: group:x, person:x or x, oncall:x');

const person = z.strictObject({
  id: name('a person id'),
  email: z.email(),
  name: z.string().optional(),
  slack: z.string().min(1).optional().describe('Slack user id (U…)'),
  teams: z.string().min(1).optional().describe('Microsoft Entra (AAD) object id'),
  groups: z.array(name('a group name')).optional(),
  accounts: z.record(z.string(), z.string()).optional().describe('Identity per provider type'),
  disabled: z.boolean().optional(),
});

const oncallOverride = z.strictObject({ from: dateTime, to: dateTime, person: z.string().min(1) });

const oncall = z
  .strictObject({
    rotation: z.array(z.string().min(1)).min(1).optional(),
    shift: duration.optional(),
    handoff: dateTime.optional().describe('First handoff, local to timezone: 2026-01-05T09:00'),
    timezone: timeZone.optional(),
    pagerduty: z.strictObject({ scheduleId: z.string().min(1) }).optional(),
    opsgenie: z.strictObject({ schedule: z.string().min(1) }).optional(),
    overrides: z.array(oncallOverride).optional(),
  })
  .superRefine((o, ctx) => {
    const sources = (['rotation', 'pagerduty', 'opsgenie'] as const).filter((k) => o[k] !== undefined);
    if (sources.length !== 1) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of rotation, pagerduty or opsgenie' });
    }
    if (o.rotation !== undefined) {
      for (const key of ['shift', 'handoff'] as const) {
        if (o[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `a rotation needs ${key}` });
      }
    }
  });

const provider = z
  .looseObject({
    type: z.string().min(1),
    mode: z.string().min(1).optional().describe("The provider's mode; each provider has its own default (postgres: membership)"),
  })
  .describe('Provider type and its own settings (validated by the provider); secrets as env:NAME or file:/path');

const resource = z.strictObject({
  id: z.string().min(1).describe('An exact id or a glob with * and ?'),
  provider,
  maxDuration: duration,
  minDuration: duration.optional(),
  idleTimeout: duration.optional(),
  workflow: z.string().min(1),
  tier: z.string().optional(),
  description: z.string().optional(),
});

export const CONDITION_TYPES = ['RESOURCE', 'DURATION', 'RISK_SCORE'] as const;
export const CONDITION_OPERATORS = ['STARTS_WITH', 'LESS_THAN', 'EQUALS', 'IN', 'MATCHES'] as const;
const OPERATORS_BY_TYPE: Record<(typeof CONDITION_TYPES)[number], readonly string[]> = {
  RESOURCE: ['STARTS_WITH', 'EQUALS', 'IN', 'MATCHES'],
  DURATION: ['LESS_THAN', 'EQUALS', 'IN'],
  RISK_SCORE: ['LESS_THAN', 'EQUALS', 'IN'],
};

const condition = z
  .strictObject({
    type: z.enum(CONDITION_TYPES),
    operator: z.enum(CONDITION_OPERATORS),
    value: z.union([z.string(), z.number(), z.array(z.union([z.string(), z.number()]))], {
      error: 'expected a string, a number or a list of them',
    }),
  })
  .superRefine((c, ctx) => {
    if (!OPERATORS_BY_TYPE[c.type].includes(c.operator)) {
      ctx.addIssue({
        code: 'custom',
        path: ['operator'],
        message: `${c.type} supports ${OPERATORS_BY_TYPE[c.type].join(', ')}, not ${c.operator}`,
      });
      return;
    }
    const values = Array.isArray(c.value) ? c.value : [c.value];
    if ((c.operator === 'IN') !== Array.isArray(c.value)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: c.operator === 'IN' ? 'IN needs a list' : `${c.operator} needs a single value` });
      return;
    }
    for (const v of values) {
      const problem = valueProblem(c.type, c.operator, v);
      if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
    }
  });

function valueProblem(type: string, operator: string, value: string | number): string | undefined {
  if (type === 'RESOURCE') {
    if (typeof value !== 'string') return 'RESOURCE compares resource ids: give a string';
    if (operator === 'MATCHES') {
      try {
        new RegExp(value);
      } catch (err) {
        return `invalid regular expression: ${err instanceof Error ? err.message : String(err)}`;
      }
    }
    return undefined;
  }
  if (type === 'DURATION') {
    if (typeof value !== 'string') return 'DURATION compares durations: give a string such as 2h';
    try {
      parseDuration(value);
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
    return undefined;
  }
  return typeof value === 'number' && Number.isFinite(value) ? undefined : 'RISK_SCORE compares numbers: give a number';
}

/** A CEL condition over request.* (checked at load: unknown fields and functions are load errors with a line). */
const celCondition = z.string().superRefine((source, ctx) => {
  const compiled = compileWhen(source);
  if ('error' in compiled) ctx.addIssue({ code: 'custom', message: compiled.error });
});

const autoApprove = z.strictObject({
  conditions: z.array(condition),
  when: celCondition
    .optional()
    .describe('CEL over request.hour, weekday, duration, riskScore, scopes, requester, reason, ticket, breakGlass'),
  maxUsage: z.number().int().min(0).optional().describe('Auto-approvals per requester per 30 days'),
});

const escalationStep = z.strictObject({
  after: duration,
  notify: z.array(z.string().min(1)).describe('group:x, person:x, oncall:x, channel:slack:#x, channel:teams:…'),
  addApprovers: refList.optional(),
});

/** A secret reference only (the shapes of providers/secrets.ts): inline values are refused, never echoed. */
const secretRef = z
  .string({ error: 'expected env:NAME or file:/path' })
  .regex(/^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.*)$/, { error: 'must be env:NAME or file:/path; inline secrets are refused' });

const httpsUrl = z.url({ error: 'expected the base URL, e.g. https://example.atlassian.net' });

export const TICKET_SYSTEMS = ['jira', 'servicenow'] as const;

/** Where tickets live (issue 12): the systems workflows may check tickets in; secrets as env:/file: only. */
const tickets = z
  .strictObject({
    jira: z.strictObject({ url: httpsUrl, email: secretRef.describe('the account email'), token: secretRef.describe('an Atlassian API token') }).optional(),
    servicenow: z
      .strictObject({ url: httpsUrl, user: secretRef, password: secretRef, table: z.string().regex(/^[a-z0-9_]+$/, { error: 'expected a table name such as incident' }).optional().describe('default incident') })
      .optional(),
  })
  .describe('Ticket systems workflows check tickets in (Jira Cloud REST v3, ServiceNow Table API)');

const workflowTicket = z
  .strictObject({
    system: z.enum(TICKET_SYSTEMS),
    required: z.boolean().optional().describe('default false: a ticket is checked when given'),
    states: z.array(z.string().min(1)).min(1).describe('Allowed ticket states, compared case-insensitively (In Progress, …)'),
  })
  .describe('Check the request ticket in a ticket system: it must exist and be in one of states; comments on grant and revoke');

const stepUp = z
  .strictObject({
    requester: z
      .union([z.boolean(), celCondition])
      .optional()
      .describe('true, or CEL over request.* (as autoApprove.when): the requester confirms with a second factor before the request goes on'),
    approvers: z
      .strictObject({ riskAtLeast: z.number().int().min(0).max(100).describe('Approvals of requests whose risk score is at least this need a second factor') })
      .optional(),
  })
  .describe('Step-up: a TOTP code (stint mfa enroll) before a request proceeds, or before a high-risk approval counts');

const workflow = z.strictObject({
  eligible: refList,
  ticket: workflowTicket.optional(),
  approvers: refList.optional(),
  required: z.number().int().min(1).optional(),
  approvalWindow: duration.optional(),
  autoApprove: autoApprove.optional(),
  escalation: z.array(escalationStep).optional(),
  channels: z
    .strictObject({ slack: z.array(z.string().min(1)).optional(), teams: z.array(z.string().min(1)).optional() })
    .optional(),
  approverTier: z
    .enum(['human', 'ai_review'])
    .optional()
    .describe('human (default): only people decide; ai_review: the service accounts in aiReview.reviewers may decide too (over MCP or REST)'),
  aiReview: z
    .strictObject({
      reviewers: z.array(name('a service account id')).min(1).describe('Service accounts that may approve, deny or escalate to a human'),
      maxRisk: z.number().int().min(0).max(100).optional().describe('Agents decide only requests whose risk score is below this; default 50'),
    })
    .optional(),
  stepUp: stepUp.optional(),
});

const weight = z.number().min(0).max(100);

export const policyFileSchema = z
  .strictObject({
    version: z.literal(1),
    people: z.array(person),
    groups: z.record(name('a group name'), z.array(z.string().min(1))).optional(),
    admins: refList.optional(),
    identity: z.strictObject({ emailDomains: z.array(z.string().min(1)) }).optional(),
    timezone: timeZone.optional().describe('For off-hours risk and CEL request.hour; default UTC'),
    oncall: z.record(name('an on-call name'), oncall).optional(),
    resources: z.array(resource),
    workflows: z.record(name('a workflow name'), workflow),
    breakGlass: z
      .strictObject({
        eligible: refList,
        maxDuration: duration,
        notify: z.array(z.string().min(1)),
        reviewers: refList.optional().describe('Who acknowledges each break-glass use afterwards (group:, person:, oncall:); default: admins'),
      })
      .optional(),
    digest: z
      .union([
        z.literal(false),
        z.strictObject({
          at: z
            .string()
            .regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a local time HH:MM such as 09:00' })
            .describe('When the digest goes out, in the policy timezone'),
          weekends: z.boolean().optional().describe('Also on Saturdays and Sundays; default false'),
        }),
      ])
      .optional()
      .describe('Daily DM to each approver with the requests waiting for them; default { at: "09:00" } on weekdays; false turns it off'),
    serviceAccounts: z
      .array(
        z.strictObject({
          id: name('a service account id'),
          owner: z.string().min(1),
          maxJitDuration: duration,
          resources: z.array(z.string().min(1)).min(1),
          onGuardrail: z.enum(['revoke', 'suspend']).optional(),
        }),
      )
      .optional(),
    guardrails: z
      .array(
        z.strictObject({
          id: name('a guardrail id'),
          when: z
            .string()
            .min(1)
            .superRefine((source, ctx) => {
              const compiled = compileGuardrail(source);
              if ('error' in compiled) ctx.addIssue({ code: 'custom', message: compiled.error });
            })
            .describe('CEL over introspection.scope, introspection.resourceServer, credential.scopes, request.reason, request.ticket, request.hour, request.weekday, serviceAccount'),
          serviceAccounts: z.array(z.string().min(1)).optional().describe('Service account ids or globs it watches; default all'),
        }),
      )
      .optional()
      .describe('Rules evaluated on each introspection of an agent credential; a match trips the guardrail (revoke, and suspend where onGuardrail: suspend)'),
    risk: z
      .strictObject({
        breakGlass: weight.optional(),
        prodTier: weight.optional(),
        offHours: weight.optional(),
        longDuration: weight.optional(),
        recentDenial: weight.optional(),
        untrustedNetwork: weight.optional(),
        noncompliantDevice: weight.optional(),
        newResource: weight.optional(),
        unusualHour: weight.optional(),
        unusualDuration: weight.optional(),
      })
      .optional(),
    tickets: tickets.optional(),
    trustedNetworks: z
      .array(z.string().refine(isCidr, { error: 'expected an address or CIDR such as 10.0.0.0/8 or 2001:db8::/32' }))
      .optional()
      .describe('Networks requests may come from without the untrustedNetwork risk; API, CLI and MCP requests carry a source IP, chat ones none'),
    devicePosture: z
      .strictObject({ header: z.string().regex(/^[A-Za-z0-9-]+$/, { error: 'expected an HTTP header name' }).describe('Set by your identity-aware proxy to compliant or noncompliant') })
      .optional(),
  })
  .describe('Stint policy (stint.yaml)');

/** The policy file after schema validation, before defaults and reference checks. */
export type PolicyFile = z.infer<typeof policyFileSchema>;

/** One auto-approval condition as written. */
export type PolicyFileCondition = z.infer<typeof condition>;
