/** Human text for `stint policy check`: what each resource resolves to, then break-glass and service accounts. */
import { formatDuration } from '../domain/duration.ts';
import type { AutoApprove, Policy, PolicyResource, PolicyWorkflow } from './model.ts';
import { globMatch } from './glob.ts';
import { parseNotifyRef } from './principal-ref.ts';

export function describePolicy(policy: Policy): string {
  const out: string[] = [
    `Policy ${policy.source} (version ${policy.fingerprint}), time zone ${policy.timezone}`,
    `${policy.people.size} people, ${policy.groups.size} groups, ${policy.resources.length} resources, ${policy.workflows.size} workflows`,
    '',
  ];
  for (const resource of policy.resources) out.push(...describeResource(policy, resource), '');

  const bg = policy.breakGlass;
  out.push(
    bg
      ? `Break-glass: ${refs(policy, bg.eligible)} for up to ${formatDuration(bg.maxDurationSec)}; notifies ${refs(policy, bg.notify)}; reviewed by ${refs(policy, bg.reviewers)}`
      : 'Break-glass: not configured',
  );
  const digest = policy.digest;
  out.push(digest ? `Approver digest: daily at ${digest.at} ${policy.timezone}${digest.weekends ? '' : ', weekdays only'}` : 'Approver digest: off');
  if (policy.serviceAccounts.size > 0) {
    out.push('Service accounts:');
    for (const s of policy.serviceAccounts.values()) {
      out.push(
        `  ${s.id}: owner ${s.owner}, up to ${formatDuration(s.maxJitDurationSec)}, may request ${s.resources.join(', ')}; on guardrail: ${s.onGuardrail}`,
      );
    }
  }
  if (policy.guardrails.length > 0) {
    out.push('Guardrails (on each introspection of an agent credential):');
    for (const g of policy.guardrails) out.push(`  ${g.id}: for ${g.serviceAccounts.join(', ')}, trips when ${g.when}`);
  }
  if (policy.admins.length > 0) out.push(`Admins: ${refs(policy, policy.admins)}`);
  return out.join('\n');
}

function describeResource(policy: Policy, r: PolicyResource): string[] {
  const w = policy.workflows.get(r.workflow);
  const lines = [
    r.description ? `${r.id}: ${r.description}` : r.id,
    `  provider:     ${r.provider.type}${r.provider.mode ? ` (${r.provider.mode})` : ''}`,
    `  duration:     ${formatDuration(r.minDurationSec)} to ${formatDuration(r.maxDurationSec)}${
      r.idleTimeoutSec ? `, revoked after ${formatDuration(r.idleTimeoutSec)} idle` : ''
    }`,
  ];
  if (r.tier) lines.push(`  tier:         ${r.tier}`);
  if (!w) return [...lines, `  workflow:     ${r.workflow} (missing)`];
  const accounts = [...policy.serviceAccounts.values()]
    .filter((s) => s.resources.some((p) => p === r.id || globMatch(p, r.id) || globMatch(r.id, p)))
    .map((s) => s.id);
  lines.push(
    `  workflow:     ${w.id}`,
    `  may request:  ${refs(policy, w.eligible)}${accounts.length > 0 ? `; service accounts ${accounts.join(', ')}` : ''}`,
    `  approvers:    ${approvers(policy, w)}`,
    ...(w.aiReview ? [`  ai review:    ${w.aiReview.reviewers.join(', ')} may decide below risk ${w.aiReview.maxRisk} (never break-glass)`] : []),
    `  auto-approve: ${w.autoApprove ? autoSummary(w.autoApprove) : 'no'}`,
    `  escalation:   ${escalation(policy, w)}`,
  );
  if (w.channels.slack.length + w.channels.teams.length > 0) {
    lines.push(`  channels:     ${[...w.channels.slack.map((c) => `Slack ${c}`), ...w.channels.teams.map((c) => `Teams ${c}`)].join(', ')}`);
  }
  return lines;
}

function approvers(policy: Policy, w: PolicyWorkflow): string {
  if (w.approvers.length === 0) return 'none (what auto-approval does not approve is denied)';
  return `${refs(policy, w.approvers)}; ${w.required} required within ${formatDuration(w.approvalWindowSec)}`;
}

function autoSummary(auto: AutoApprove): string {
  const parts = auto.conditions.map((c) => {
    const show = (v: string | number) => (c.type === 'DURATION' && typeof v === 'number' ? formatDuration(v) : String(v));
    return `${c.type} ${c.operator} ${Array.isArray(c.value) ? `[${c.value.map(show).join(', ')}]` : show(c.value)}`;
  });
  if (auto.when) parts.push(`when ${auto.when}`);
  const limit = auto.maxUsage !== undefined ? `; at most ${auto.maxUsage} per requester per 30 days` : '';
  return parts.length > 0 ? `if ${parts.join(' and ')}${limit}` : `always${limit}`;
}

function escalation(policy: Policy, w: PolicyWorkflow): string {
  if (w.escalation.length === 0) return 'none';
  return w.escalation
    .map((s) => {
      const add = s.addApprovers.length > 0 ? `, add approvers ${refs(policy, s.addApprovers)}` : '';
      return `after ${formatDuration(s.afterSec)} notify ${refs(policy, s.notify)}${add}`;
    })
    .join('; ');
}

/** `group:sre (alice, bob)`, `oncall:sre-primary (rotation alice, bob every 1w)`, … */
function refs(policy: Policy, list: readonly string[]): string {
  if (list.length === 0) return 'nobody';
  return list.map((text) => describeRef(policy, text)).join(', ');
}

function describeRef(policy: Policy, text: string): string {
  const ref = parseNotifyRef(text);
  const enabled = (ids: readonly string[]) => {
    const names = ids.filter((id) => policy.people.get(id)?.disabled === false);
    return names.length > 0 ? names.join(', ') : 'nobody enabled';
  };
  if (ref?.kind === 'group') return `${text} (${enabled(policy.groups.get(ref.name) ?? [])})`;
  if (ref?.kind === 'person' && policy.people.get(ref.name)?.disabled) return `${ref.name} (disabled)`;
  if (ref?.kind === 'person') return ref.name;
  if (ref?.kind === 'oncall') {
    const o = policy.oncall[ref.name];
    if (o?.pagerduty) return `${text} (PagerDuty schedule ${o.pagerduty.scheduleId})`;
    if (o?.opsgenie) return `${text} (Opsgenie schedule ${o.opsgenie.schedule})`;
    if (o?.rotation) return `${text} (rotation ${enabled(o.rotation)} every ${formatDuration(o.shiftSec ?? 0)})`;
  }
  return text;
}
