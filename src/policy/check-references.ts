/**
 * Checks that need the whole file: names that must exist (workflows, groups, people, on-call rotations),
 * ids that must be unique, and numbers that must add up (`required` approvers, escalation times).
 */
import type { Policy } from './model.ts';
import type { PolicyIssue } from './policy-issues.ts';
import type { PolicyFile } from './policy-schema.ts';
import { parseNotifyRef, parsePrincipalRef } from './principal-ref.ts';
import { possiblePrincipals } from './resolve.ts';
import { globMatch } from './glob.ts';
import { didYouMean } from './suggest.ts';
import type { KeyPath } from './yaml-lines.ts';

/** `jit.directory` of a linux provider block, when it names one. */
export function linuxDirectoryRef(provider: { type: string; [key: string]: unknown }): string | undefined {
  if (provider.type !== 'linux') return undefined;
  const jit = provider.jit as { directory?: unknown } | undefined;
  return typeof jit?.directory === 'string' ? jit.directory : undefined;
}

export function checkReferences(file: PolicyFile, policy: Policy): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const report = (path: KeyPath, message: string) => issues.push({ path, message });
  const personIds = [...policy.people.keys()];

  const checkPerson = (path: KeyPath, id: string) => {
    if (!policy.people.has(id)) report(path, `unknown person "${id}"${didYouMean(id, personIds)}`);
  };
  const checkPrincipal = (path: KeyPath, text: string, allowOncall = true) => {
    const ref = parsePrincipalRef(text);
    if (!ref) {
      report(path, `"${text}" is not a reference: use group:NAME, person:ID (or ID) or oncall:NAME`);
    } else if (ref.kind === 'person') {
      checkPerson(path, ref.name);
    } else if (ref.kind === 'group') {
      if (!policy.groups.has(ref.name)) report(path, `unknown group "${ref.name}"${didYouMean(ref.name, policy.groups.keys())}`);
    } else if (!allowOncall) {
      report(path, `an on-call rotation cannot be used here: admin rights must not change with a rotation`);
    } else if (!policy.oncall[ref.name]) {
      report(path, `unknown on-call rotation "${ref.name}"${didYouMean(ref.name, Object.keys(policy.oncall))}`);
    }
  };
  const checkNotify = (path: KeyPath, text: string) => {
    const ref = parseNotifyRef(text);
    if (ref?.kind === 'channel') return;
    if (!ref) report(path, `"${text}" is not a notification target: use group:, person:, oncall: or channel:slack:/channel:teams:`);
    else checkPrincipal(path, text);
  };
  const checkUnique = (values: string[], path: (i: number) => KeyPath, what: string) => {
    const seen = new Map<string, number>();
    values.forEach((value, i) => {
      const first = seen.get(value.toLowerCase());
      if (first !== undefined) report(path(i), `duplicate ${what} "${value}" (also at index ${first})`);
      else seen.set(value.toLowerCase(), i);
    });
  };

  // Uniqueness: one human is one person (identities resolve to one person: invariant 3).
  checkUnique(file.people.map((p) => p.id), (i) => ['people', i, 'id'], 'person id');
  checkUnique(file.people.map((p) => p.email), (i) => ['people', i, 'email'], 'email');
  for (const key of ['slack', 'teams'] as const) {
    const withId = file.people.flatMap((p, i) => (p[key] === undefined ? [] : [{ value: p[key], i }]));
    checkUnique(withId.map((x) => x.value), (j) => ['people', withId[j]!.i, key], `${key} id`);
  }
  checkUnique(file.resources.map((r) => r.id), (i) => ['resources', i, 'id'], 'resource id');
  const accounts = file.serviceAccounts ?? [];
  checkUnique(accounts.map((s) => s.id), (i) => ['serviceAccounts', i, 'id'], 'service account id');
  accounts.forEach((s, i) => {
    if (policy.people.has(s.id)) report(['serviceAccounts', i, 'id'], `"${s.id}" is also a person id: ids must be unique`);
  });

  for (const [group, members] of Object.entries(file.groups ?? {})) {
    members.forEach((m, i) => checkPerson(['groups', group, i], m.replace(/^person:/, '')));
  }
  (file.admins ?? []).forEach((ref, i) => checkPrincipal(['admins', i], ref, false));

  for (const [name, o] of Object.entries(file.oncall ?? {})) {
    (o.rotation ?? []).forEach((id, i) => checkPerson(['oncall', name, 'rotation', i], id));
    (o.overrides ?? []).forEach((v, i) => {
      checkPerson(['oncall', name, 'overrides', i, 'person'], v.person);
      const r = policy.oncall[name]?.overrides[i];
      if (r && r.to.getTime() <= r.from.getTime()) report(['oncall', name, 'overrides', i, 'to'], 'must be after from');
    });
  }

  const workflowNames = Object.keys(file.workflows);
  file.resources.forEach((r, i) => {
    if (!file.workflows[r.workflow]) {
      report(['resources', i, 'workflow'], `unknown workflow "${r.workflow}"${didYouMean(r.workflow, workflowNames)}`);
    }
    const resource = policy.resources[i]!;
    if (resource.minDurationSec > resource.maxDurationSec) report(['resources', i, 'minDuration'], 'is longer than maxDuration');
    // A linux resource's domain accounts are made in the directory of an ldap resource it names.
    const directory = linuxDirectoryRef(r.provider);
    if (directory !== undefined) {
      const target = file.resources.find((other) => other.id === directory);
      const ldapIds = file.resources.filter((other) => other.provider.type === 'ldap').map((other) => other.id);
      if (!target) report(['resources', i, 'provider', 'jit', 'directory'], `unknown resource "${directory}"${didYouMean(directory, ldapIds)}: name an ldap resource`);
      else if (target.provider.type !== 'ldap') report(['resources', i, 'provider', 'jit', 'directory'], `"${directory}" is a ${target.provider.type} resource: name an ldap resource`);
    }
  });

  for (const [name, w] of Object.entries(file.workflows)) {
    const at = (...rest: PropertyKey[]): KeyPath => ['workflows', name, ...rest];
    const issuesBefore = issues.length;
    w.eligible.forEach((ref, i) => checkPrincipal(at('eligible', i), ref));
    (w.approvers ?? []).forEach((ref, i) => checkPrincipal(at('approvers', i), ref));
    const model = policy.workflows.get(name)!;
    let previous = 0;
    (w.escalation ?? []).forEach((step, i) => {
      step.notify.forEach((ref, j) => checkNotify(at('escalation', i, 'notify', j), ref));
      (step.addApprovers ?? []).forEach((ref, j) => checkPrincipal(at('escalation', i, 'addApprovers', j), ref));
      const after = model.escalation[i]!.afterSec;
      if (after <= previous && i > 0) {
        report(at('escalation', i, 'after'), 'escalation steps must come later one after another');
      }
      if (after >= model.approvalWindowSec) {
        const window = w.approvalWindow ?? '2h';
        report(at('escalation', i, 'after'), `is not before the approval window (${window}) ends: it would never fire`);
      }
      previous = after;
    });
    if (w.ticket && !file.tickets?.[w.ticket.system]) {
      report(at('ticket', 'system'), `ticket system "${w.ticket.system}" is not configured: add tickets.${w.ticket.system} (url and credentials) at the top of the policy`);
    }
    if (w.approverTier === 'ai_review' && !w.aiReview) report(at('aiReview'), 'is required with approverTier: ai_review: name the service accounts in aiReview.reviewers');
    if (w.aiReview && w.approverTier !== 'ai_review') report(at('approverTier'), 'must be ai_review for aiReview to apply');
    (w.aiReview?.reviewers ?? []).forEach((id, i) => {
      if (!accounts.some((s) => s.id === id)) report(at('aiReview', 'reviewers', i), `"${id}" is not a service account${didYouMean(id, accounts.map((s) => s.id))}`);
    });
    if (model.approvers.length > 0 && issues.length === issuesBefore) {
      // Escalation may add approvers, so they count; an external on-call schedule makes the number unknowable.
      const possible = possiblePrincipals(policy, [...model.approvers, ...model.escalation.flatMap((s) => s.addApprovers)]);
      if (possible && possible.size < model.required) {
        const who = `${possible.size} enabled ${possible.size === 1 ? 'person' : 'people'}`;
        report(at(w.required === undefined ? 'approvers' : 'required'), `requires ${model.required} approvals but only ${who} can approve`);
      }
    }
  }

  if (file.breakGlass) {
    file.breakGlass.eligible.forEach((ref, i) => checkPrincipal(['breakGlass', 'eligible', i], ref));
    file.breakGlass.notify.forEach((ref, i) => checkNotify(['breakGlass', 'notify', i], ref));
    (file.breakGlass.reviewers ?? []).forEach((ref, i) => checkPrincipal(['breakGlass', 'reviewers', i], ref));
    // An explicit empty list would leave every break-glass review unacknowledgeable for ever.
    if (file.breakGlass.reviewers?.length === 0) report(['breakGlass', 'reviewers'], 'names nobody: break-glass use must be reviewed by someone (omit it to use admins)');
  }

  accounts.forEach((s, i) => {
    checkPerson(['serviceAccounts', i, 'owner'], s.owner.replace(/^person:/, ''));
    s.resources.forEach((pattern, j) => {
      const reachable = policy.resources.some((r) => r.id === pattern || globMatch(pattern, r.id) || globMatch(r.id, pattern));
      if (!reachable) {
        const hint = didYouMean(pattern, policy.resources.map((r) => r.id));
        report(['serviceAccounts', i, 'resources', j], `matches no resource${hint}`);
      }
    });
  });
  checkUnique((file.guardrails ?? []).map((g) => g.id), (i) => ['guardrails', i, 'id'], 'guardrail id');
  (file.guardrails ?? []).forEach((g, i) => {
    (g.serviceAccounts ?? []).forEach((pattern, j) => {
      if (!accounts.some((s) => s.id === pattern || globMatch(pattern, s.id))) {
        report(['guardrails', i, 'serviceAccounts', j], `matches no service account${didYouMean(pattern, accounts.map((s) => s.id))}`);
      }
    });
  });
  return issues;
}
