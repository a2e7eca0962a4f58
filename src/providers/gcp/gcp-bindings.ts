/**
 * Pure edits of an IAM policy (Cloud Resource Manager v3 shape). Each Stint grant is its own conditional
 * binding titled `stint-<request id>` whose expression ends the access at the expiry on Google's side, so
 * access ends even if Stint is down, and two requests of one person never share (or remove) each other's binding.
 * The edit functions return the changed policy, or null when the policy already says what is wanted
 * (that is what makes grant, revoke and extend idempotent under read-modify-write retries).
 */

export interface IamCondition {
  title?: string;
  description?: string;
  expression: string;
}

export interface IamBinding {
  role: string;
  members?: string[];
  condition?: IamCondition;
}

export interface IamPolicy {
  version?: number;
  etag?: string;
  bindings?: IamBinding[];
  [key: string]: unknown;
}

export type StintBindingRef = { role: string; member: string; title: string };

const EXPIRY = /^request\.time < timestamp\("(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)"\)$/;

export function conditionTitle(requestId: string): string {
  return `stint-${requestId}`;
}

/** The request id in a Stint title, or null for any other binding. */
export function requestIdOfTitle(title: string | undefined): string | null {
  return title?.startsWith('stint-') ? title.slice('stint-'.length) || null : null;
}

/** Whole seconds, UTC, `Z`: the form IAM documents for `timestamp()`. Floor, so access never outlives the grant. */
export function expiryTimestamp(expiresAt: Date): string {
  return new Date(Math.floor(expiresAt.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export function expiryCondition(requestId: string, expiresAt: Date): IamCondition {
  const at = expiryTimestamp(expiresAt);
  return {
    title: conditionTitle(requestId),
    description: `Stint JIT grant ${requestId}, expires ${at}`,
    expression: `request.time < timestamp("${at}")`,
  };
}

/** The expiry a Stint condition carries, or null when the expression is not one Stint wrote. */
export function expiryOf(condition: IamCondition | undefined): Date | null {
  const match = condition ? EXPIRY.exec(condition.expression.trim()) : null;
  return match ? new Date(match[1]!) : null;
}

export const sameMember = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The request's binding holds the member (whatever its expiry). */
export function holdsStintBinding(policy: IamPolicy, ref: StintBindingRef): boolean {
  return findStintBinding(policy, ref)?.members?.some((m) => sameMember(m, ref.member)) ?? false;
}

export function findStintBinding(policy: IamPolicy, ref: Omit<StintBindingRef, 'member'>): IamBinding | undefined {
  return policy.bindings?.find((b) => b.role === ref.role && b.condition?.title === ref.title);
}

/** The member holds the role without any condition: access that is not Stint's (preexisting). */
export function hasUnconditional(policy: IamPolicy, role: string, member: string): boolean {
  return (policy.bindings ?? []).some((b) => b.role === role && !b.condition && (b.members ?? []).some((m) => sameMember(m, member)));
}

function withBindings(policy: IamPolicy, bindings: IamBinding[]): IamPolicy {
  // Conditions need version 3; a write without them may say 3 as well (IAM accepts it).
  return { ...policy, version: 3, bindings };
}

/** Adds the request's binding; null when a binding with that title already holds the member. */
export function addStintBinding(policy: IamPolicy, ref: StintBindingRef, condition: IamCondition): IamPolicy | null {
  const bindings = policy.bindings ?? [];
  const existing = findStintBinding(policy, ref);
  if (existing?.members?.some((m) => sameMember(m, ref.member))) return null;
  if (existing) {
    return withBindings(policy, bindings.map((b) => (b === existing ? { ...b, members: [...(b.members ?? []), ref.member] } : b)));
  }
  return withBindings(policy, [...bindings, { role: ref.role, members: [ref.member], condition }]);
}

/** Removes the member from the request's binding (the binding too once empty); null when already absent. */
export function removeStintMember(policy: IamPolicy, ref: StintBindingRef): IamPolicy | null {
  const existing = findStintBinding(policy, ref);
  if (!existing?.members?.some((m) => sameMember(m, ref.member))) return null;
  const members = existing.members.filter((m) => !sameMember(m, ref.member));
  const bindings = (policy.bindings ?? []).flatMap((b) => (b !== existing ? [b] : members.length > 0 ? [{ ...b, members }] : []));
  return withBindings(policy, bindings);
}

/**
 * Rewrites the request's condition to the new expiry; null when it already says so. 'absent' when the binding
 * is gone (removed out of band): extending must not quietly re-grant.
 */
export function rewriteStintExpiry(policy: IamPolicy, ref: StintBindingRef, condition: IamCondition): IamPolicy | null | 'absent' {
  const existing = findStintBinding(policy, ref);
  if (!existing?.members?.some((m) => sameMember(m, ref.member))) return 'absent';
  if (existing.condition?.expression === condition.expression && existing.condition.description === condition.description) return null;
  return withBindings(policy, (policy.bindings ?? []).map((b) => (b === existing ? { ...b, condition } : b)));
}

/** Whether the request's binding grants the member at `now`. */
export function stintBindingActive(policy: IamPolicy, ref: StintBindingRef, now: Date): boolean {
  const existing = findStintBinding(policy, ref);
  if (!existing?.members?.some((m) => sameMember(m, ref.member))) return false;
  const expiry = expiryOf(existing.condition);
  return expiry !== null && expiry.getTime() > now.getTime();
}
