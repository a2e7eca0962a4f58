/** Turns a schema-valid policy file into the model, applying the defaults of DESIGN.md section 5. */
import { parseDuration } from '../domain/duration.ts';
import {
  DEFAULT_RISK_WEIGHTS,
  type AutoApproveCondition,
  type OncallRotation,
  type Policy,
  type PolicyPerson,
  type PolicyServiceAccount,
  type PolicyWorkflow,
} from './model.ts';
import type { PolicyFile, PolicyFileCondition } from './policy-schema.ts';
import { linuxDirectoryRef } from './check-references.ts';
import { parseLocalDateTime } from './zoned-time.ts';

export const DEFAULTS = {
  timezone: 'UTC',
  digestAt: '09:00',
  required: 1,
  approvalWindowSec: 2 * 3600,
  minDurationSec: 30,
  onGuardrail: 'revoke',
  aiMaxRisk: 50,
  serviceNowTable: 'incident',
} as const;

export function buildPolicy(file: PolicyFile, meta: { source: string; fingerprint: string }): Policy {
  const timezone = file.timezone ?? DEFAULTS.timezone;

  const people = new Map<string, PolicyPerson>();
  for (const p of file.people) {
    if (people.has(p.id)) continue; // duplicates are reported by the reference checks
    people.set(p.id, {
      id: p.id,
      email: p.email,
      ...(p.name !== undefined && { name: p.name }),
      ...(p.slack !== undefined && { slack: p.slack }),
      ...(p.teams !== undefined && { teams: p.teams }),
      groups: [...(p.groups ?? [])],
      accounts: { ...(p.accounts ?? {}) },
      disabled: p.disabled ?? false,
    });
  }

  const groups = new Map<string, string[]>();
  const addMember = (group: string, member: string) => {
    const members = groups.get(group) ?? [];
    if (!members.includes(member)) members.push(member);
    groups.set(group, members);
  };
  for (const [group, members] of Object.entries(file.groups ?? {})) {
    groups.set(group, groups.get(group) ?? []);
    for (const member of members) addMember(group, member.replace(/^person:/, ''));
  }
  for (const person of people.values()) for (const group of person.groups) addMember(group, person.id);

  const oncall: Record<string, OncallRotation> = {};
  for (const [name, o] of Object.entries(file.oncall ?? {})) {
    const zone = o.timezone ?? timezone;
    oncall[name] = {
      ...(o.rotation && { rotation: [...o.rotation] }),
      ...(o.shift !== undefined && { shiftSec: parseDuration(o.shift) }),
      ...(o.handoff !== undefined && { handoff: o.handoff }),
      timezone: zone,
      ...(o.pagerduty && { pagerduty: { ...o.pagerduty } }),
      ...(o.opsgenie && { opsgenie: { ...o.opsgenie } }),
      overrides: (o.overrides ?? []).map((v) => ({
        from: parseLocalDateTime(v.from, zone),
        to: parseLocalDateTime(v.to, zone),
        person: v.person,
      })),
    };
  }

  const workflows = new Map<string, PolicyWorkflow>();
  for (const [id, w] of Object.entries(file.workflows)) {
    workflows.set(id, {
      id,
      eligible: [...w.eligible],
      approvers: [...(w.approvers ?? [])],
      required: w.required ?? DEFAULTS.required,
      approvalWindowSec: w.approvalWindow !== undefined ? parseDuration(w.approvalWindow) : DEFAULTS.approvalWindowSec,
      ...(w.autoApprove && {
        autoApprove: {
          conditions: w.autoApprove.conditions.map(toCondition),
          ...(w.autoApprove.when !== undefined && { when: w.autoApprove.when }),
          ...(w.autoApprove.maxUsage !== undefined && { maxUsage: w.autoApprove.maxUsage }),
        },
      }),
      escalation: (w.escalation ?? []).map((s) => ({
        afterSec: parseDuration(s.after),
        notify: [...s.notify],
        addApprovers: [...(s.addApprovers ?? [])],
      })),
      channels: { slack: [...(w.channels?.slack ?? [])], teams: [...(w.channels?.teams ?? [])] },
      approverTier: w.approverTier ?? 'human',
      ...(w.aiReview && { aiReview: { reviewers: [...w.aiReview.reviewers], maxRisk: w.aiReview.maxRisk ?? DEFAULTS.aiMaxRisk } }),
      ...(w.ticket && { ticket: { system: w.ticket.system, required: w.ticket.required ?? false, states: [...w.ticket.states] } }),
      ...(w.stepUp && {
        stepUp: {
          ...(w.stepUp.requester !== undefined && { requester: w.stepUp.requester }),
          ...(w.stepUp.approvers && { approverRiskAtLeast: w.stepUp.approvers.riskAtLeast }),
        },
      }),
    });
  }

  const serviceAccounts = new Map<string, PolicyServiceAccount>();
  for (const s of file.serviceAccounts ?? []) {
    if (serviceAccounts.has(s.id)) continue;
    serviceAccounts.set(s.id, {
      id: s.id,
      owner: s.owner.replace(/^person:/, ''),
      maxJitDurationSec: parseDuration(s.maxJitDuration),
      resources: [...s.resources],
      onGuardrail: s.onGuardrail ?? DEFAULTS.onGuardrail,
    });
  }

  return {
    version: 1,
    fingerprint: meta.fingerprint,
    source: meta.source,
    timezone,
    people,
    groups,
    admins: [...(file.admins ?? [])],
    identity: { emailDomains: [...(file.identity?.emailDomains ?? [])] },
    oncall,
    resources: file.resources.map((r) => ({
      id: r.id,
      provider: { ...r.provider, type: r.provider.type, ...directoryProvider(file, r.provider) },
      maxDurationSec: parseDuration(r.maxDuration),
      minDurationSec: r.minDuration !== undefined ? parseDuration(r.minDuration) : DEFAULTS.minDurationSec,
      ...(r.idleTimeout !== undefined && { idleTimeoutSec: parseDuration(r.idleTimeout) }),
      workflow: r.workflow,
      ...(r.tier !== undefined && { tier: r.tier }),
      ...(r.description !== undefined && { description: r.description }),
    })),
    workflows,
    ...(file.breakGlass && {
      breakGlass: {
        eligible: [...file.breakGlass.eligible],
        maxDurationSec: parseDuration(file.breakGlass.maxDuration),
        notify: [...file.breakGlass.notify],
        // The follow-up review needs someone: security as the policy names it, else the admins.
        reviewers: [...(file.breakGlass.reviewers ?? file.admins ?? [])],
      },
    }),
    digest: file.digest === false ? null : { at: file.digest?.at ?? DEFAULTS.digestAt, weekends: file.digest?.weekends ?? false },
    serviceAccounts,
    trustedNetworks: [...(file.trustedNetworks ?? [])],
    tickets: {
      ...(file.tickets?.jira && { jira: { ...file.tickets.jira } }),
      ...(file.tickets?.servicenow && { servicenow: { ...file.tickets.servicenow, table: file.tickets.servicenow.table ?? DEFAULTS.serviceNowTable } }),
    },
    ...(file.devicePosture && { devicePostureHeader: file.devicePosture.header.toLowerCase() }),
    guardrails: (file.guardrails ?? []).map((g) => ({ id: g.id, when: g.when, serviceAccounts: [...(g.serviceAccounts ?? ['*'])] })),
    risk: { ...DEFAULT_RISK_WEIGHTS, ...definedOnly(file.risk ?? {}) },
  };
}

function toCondition(c: PolicyFileCondition): AutoApproveCondition {
  // DURATION values become seconds so evaluation never parses text.
  const value =
    c.type !== 'DURATION'
      ? c.value
      : Array.isArray(c.value)
        ? c.value.map((v) => parseDuration(String(v)))
        : parseDuration(String(c.value));
  return { type: c.type, operator: c.operator, value };
}

/** A linux block naming an ldap resource in `jit.directory` carries that resource's provider block (domain accounts). */
function directoryProvider(file: PolicyFile, provider: { type: string; [key: string]: unknown }): { directoryProvider?: Record<string, unknown> } {
  const directory = linuxDirectoryRef(provider);
  const target = directory === undefined ? undefined : file.resources.find((r) => r.id === directory && r.provider.type === 'ldap');
  return target ? { directoryProvider: { ...target.provider } } : {};
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
