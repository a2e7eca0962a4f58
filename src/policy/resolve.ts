/**
 * Questions the rest of Stint asks the policy: which resource a scope is, who a reference means at a
 * given time, who may request and approve, who counts as the requester for self-approval.
 */
import type { OncallRotation, Policy, PolicyWorkflow, ResolvedScope } from './model.ts';
import { everyoneOnCall, onCallAt } from './oncall.ts';
import { globMatch, isGlob, literalPrefix } from './glob.ts';
import { parsePrincipalRef } from './principal-ref.ts';

/**
 * The resource a requested scope id names: an exact id wins over a glob; among globs the longest literal
 * prefix wins (then the first written). Requested ids must be concrete: `dev-*` itself is not a scope.
 */
export function resolveScope(policy: Policy, scopeId: string): ResolvedScope | undefined {
  if (scopeId === '' || isGlob(scopeId)) return undefined;
  let resource = policy.resources.find((r) => r.id === scopeId);
  if (!resource) {
    let bestPrefix = -1;
    for (const candidate of policy.resources) {
      if (!isGlob(candidate.id) || !globMatch(candidate.id, scopeId)) continue;
      const prefix = literalPrefix(candidate.id).length;
      if (prefix > bestPrefix) {
        resource = candidate;
        bestPrefix = prefix;
      }
    }
  }
  const workflow = resource && policy.workflows.get(resource.workflow);
  return resource && workflow ? { id: scopeId, resource, workflow } : undefined;
}

/**
 * Who is on call now in rotations kept by an external scheduler (PagerDuty, Opsgenie), as policy person ids per
 * rotation name. Looking that up is I/O, so callers do it first (core/on-call-now.ts) and pass the answer in; a
 * rotation missing from it counts as nobody (fail closed).
 */
export type ExternalOnCall = ReadonlyMap<string, readonly string[]>;

/**
 * The enabled people that `refs` mean at `at` (`group:x`, `person:x`, `x`, `oncall:x`). Built-in rotations are
 * computed; external ones come from `external`, looked up for `at` by the caller.
 */
export function expandPrincipals(policy: Policy, refs: readonly string[], at: Date, external?: ExternalOnCall): Set<string> {
  const out = new Set<string>();
  const add = (id: string | undefined) => {
    const person = id === undefined ? undefined : policy.people.get(id);
    if (person && !person.disabled) out.add(person.id);
  };
  for (const text of refs) {
    const ref = parsePrincipalRef(text);
    if (!ref) continue;
    if (ref.kind === 'person') add(ref.name);
    else if (ref.kind === 'group') for (const member of policy.groups.get(ref.name) ?? []) add(member);
    else {
      const rotation = Object.hasOwn(policy.oncall, ref.name) ? policy.oncall[ref.name] : undefined;
      if (rotation && isExternal(rotation)) for (const id of external?.get(ref.name) ?? []) add(id);
      else if (rotation) add(onCallAt(rotation, at, policy.timezone));
    }
  }
  return out;
}

/** A rotation whose shifts live in PagerDuty or Opsgenie rather than in the policy. */
export function isExternal(rotation: OncallRotation): boolean {
  return Boolean(rotation.pagerduty || rotation.opsgenie);
}

/**
 * Everyone `refs` could ever mean (on-call rotations count all their members), or undefined when an
 * external schedule makes it unknowable. Used for load-time checks and descriptions.
 */
export function possiblePrincipals(policy: Policy, refs: readonly string[]): Set<string> | undefined {
  const out = new Set<string>();
  for (const text of refs) {
    const ref = parsePrincipalRef(text);
    if (ref?.kind === 'oncall') {
      const rotation = policy.oncall[ref.name];
      const members = rotation && everyoneOnCall(rotation);
      if (!members) return undefined;
      for (const id of expandPrincipals(policy, members, new Date(0))) out.add(id);
    } else if (ref) {
      for (const id of expandPrincipals(policy, [text], new Date(0))) out.add(id);
    }
  }
  return out;
}

/** Admins never come from an on-call rotation (the loader refuses that), so no time is needed. */
export function isAdmin(policy: Policy, personId: string): boolean {
  return expandPrincipals(policy, policy.admins, new Date(0)).has(personId);
}

/**
 * A person may request when the workflow's `eligible` includes them; a service account when the scope
 * matches one of its `resources` and its owner is still an enabled person (offboarding reaches the bots too).
 */
export function canRequest(policy: Policy, requesterId: string, scope: ResolvedScope, at: Date): boolean {
  const account = policy.serviceAccounts.get(requesterId);
  if (account) {
    const owner = policy.people.get(account.owner);
    if (!owner || owner.disabled) return false;
    return account.resources.some((pattern) => pattern === scope.id || globMatch(pattern, scope.id));
  }
  return expandPrincipals(policy, scope.workflow.eligible, at).has(requesterId);
}

/**
 * Who may approve at `at`, sorted: the workflow's approvers plus the `addApprovers` of the escalation steps
 * already reached (`escalationLevel` steps). Disabled people never appear; external on-call from `external`.
 */
export function approversFor(policy: Policy, workflow: PolicyWorkflow, at: Date, escalationLevel = 0, external?: ExternalOnCall): string[] {
  return [...expandPrincipals(policy, approverRefs(workflow, escalationLevel), at, external)].sort();
}

/** Every reference an escalation may resolve: the approvers at every level and each step's targets. */
export function escalationRefs(workflow: PolicyWorkflow): string[] {
  return [...approverRefs(workflow), ...workflow.escalation.flatMap((step) => step.notify)];
}

/** Who reviews break-glass uses (principal refs): `breakGlass.reviewers`, else the admins (also with no break-glass section). */
export function reviewerRefs(policy: Policy): readonly string[] {
  return policy.breakGlass?.reviewers ?? policy.admins;
}

/** The approver references of a workflow at an escalation level (its `approvers` plus the steps' `addApprovers`). */
export function approverRefs(workflow: PolicyWorkflow, escalationLevel = workflow.escalation.length): string[] {
  const refs = [...workflow.approvers];
  for (const step of workflow.escalation.slice(0, Math.max(0, escalationLevel))) refs.push(...step.addApprovers);
  return refs;
}

/** The person who counts as the requester for self-approval: the person, or a service account's owner. */
export function ownerOf(policy: Policy, requesterId: string): string | undefined {
  if (policy.people.has(requesterId)) return requesterId;
  return policy.serviceAccounts.get(requesterId)?.owner;
}
