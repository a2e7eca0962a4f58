/**
 * Invariant 3 for rotations kept in PagerDuty or Opsgenie: who may approve is who is on call at the moment of the
 * click, asked of the scheduler then (its answers are cached per minute by src/oncall). Built-in rotations need no
 * I/O and are computed by the policy; a policy without external approver rotations costs nothing here.
 */
import { StintError } from '../domain/errors.ts';
import type { AccessRequest } from '../domain/request.ts';
import { approverRefs, isExternal, type ExternalOnCall } from '../policy/index.ts';
import { parsePrincipalRef } from '../policy/principal-ref.ts';
import type { Policy } from '../policy/model.ts';
import type { Actor } from './actor.ts';
import type { OnCallPort } from './ports.ts';
import { canSee, notFound } from './visibility.ts';

export interface OnCallNow {
  /** Rotation name → person ids on call now, for the external rotations that answered. */
  people: ExternalOnCall;
  /** Rotation name → why it could not be asked (the scheduler was down, its key unset). */
  failed: ReadonlyMap<string, string>;
}

const NOBODY: OnCallNow = { people: new Map(), failed: new Map() };

/** The external rotations among `refs` (`oncall:x` where x lives in PagerDuty or Opsgenie). */
export function externalRotations(policy: Policy, refs: Iterable<string>): string[] {
  const names = new Set<string>();
  for (const text of refs) {
    const ref = parsePrincipalRef(text);
    const rotation = ref?.kind === 'oncall' && Object.hasOwn(policy.oncall, ref.name) ? policy.oncall[ref.name] : undefined;
    if (ref && rotation && isExternal(rotation)) names.add(ref.name);
  }
  return [...names].sort();
}

/** Who is on call now in the external rotations among `refs`. Never throws: a rotation that could not be asked is in `failed`. */
export async function onCallOf(policy: Policy, refs: Iterable<string>, at: Date, oncall: OnCallPort | undefined): Promise<OnCallNow> {
  const names = externalRotations(policy, refs);
  if (names.length === 0) return NOBODY;
  const people = new Map<string, readonly string[]>();
  const failed = new Map<string, string>();
  await Promise.all(
    names.map(async (name) => {
      if (!oncall) {
        failed.set(name, 'on-call look-ups are not configured');
        return;
      }
      try {
        people.set(name, await oncall.who(name, at));
      } catch (err) {
        failed.set(name, err instanceof Error ? err.message : String(err));
      }
    }),
  );
  return { people, failed };
}

/** Who is on call now in the external rotations that approve in `workflows` (at any escalation level; all workflows when omitted). */
export function onCallNow(policy: Policy, at: Date, oncall: OnCallPort | undefined, workflows: Iterable<string> = policy.workflows.keys()): Promise<OnCallNow> {
  const refs: string[] = [];
  for (const id of workflows) {
    const workflow = policy.workflows.get(id);
    if (workflow) refs.push(...approverRefs(workflow));
  }
  return onCallOf(policy, refs, at, oncall);
}

/** True when some workflow's approvers include a PagerDuty/Opsgenie rotation (else there is nothing to ask, ever). */
export function externalApproverRotationsExist(policy: Policy): boolean {
  return [...policy.workflows.values()].some((w) => externalRotations(policy, approverRefs(w)).length > 0);
}

/** `onCallNow` for one request's workflow. */
export function onCallFor(policy: Policy, request: Pick<AccessRequest, 'workflow'>, at: Date, oncall: OnCallPort | undefined): Promise<OnCallNow> {
  return onCallNow(policy, at, oncall, [request.workflow]);
}

/** `assertVisible` with external approver rotations asked first; also answers who is on call, for later checks. */
export async function visibleNow(
  policy: Policy,
  actor: Actor,
  row: AccessRequest | null,
  id: string,
  now: Date,
  oncall: OnCallPort | undefined,
): Promise<{ request: AccessRequest; onCall: OnCallNow }> {
  const onCall = row ? await onCallFor(policy, row, now, oncall) : NOBODY;
  if (!row || !canSee(policy, actor, row, now, onCall.people)) throw row ? (onCallUnavailable(policy, row, onCall) ?? notFound(id)) : notFound(id);
  return { request: row, onCall };
}

/**
 * The error for someone refused while a rotation that approves `request` could not be asked: they may well be on
 * call, so "not eligible" would be wrong; "try again" is right. Undefined when no such rotation failed.
 */
export function onCallUnavailable(policy: Policy, request: Pick<AccessRequest, 'workflow' | 'escalationLevel'>, onCall: OnCallNow): StintError | undefined {
  if (onCall.failed.size === 0) return undefined;
  const workflow = policy.workflows.get(request.workflow);
  const relevant = workflow ? externalRotations(policy, approverRefs(workflow, request.escalationLevel)) : [];
  const name = relevant.find((n) => onCall.failed.has(n));
  if (name === undefined) return undefined;
  const why = onCall.failed.get(name)!;
  return new StintError('UNAVAILABLE', `Could not ask who is on call in rotation "${name}" (${why}); try again in a minute`, {
    rotation: name,
  });
}
