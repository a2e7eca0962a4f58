/**
 * What a break-glass use's audit events record beyond the request itself (issue 7, DESIGN.md section 8): where the
 * loud notification went, who must review it, and who was on call at that moment for each `oncall:` target — so a
 * later investigation does not depend on a rotation that has moved on since.
 */
import { expandPrincipals, reviewerRefs } from '../policy/index.ts';
import type { Policy } from '../policy/model.ts';
import { parsePrincipalRef } from '../policy/principal-ref.ts';
import type { OnCallPort } from './ports.ts';

export interface BreakGlassFacts {
  notify: string[];
  /** The policy's references (`group:security`) and the people they meant at that moment. */
  reviewers: string[];
  reviewerIds: string[];
  /** Rotation → person ids on call then; null when an external schedule could not be asked in time. */
  onCall: Record<string, string[] | null>;
}

/** An external schedule that does not answer within this is recorded as unknown: break-glass never waits on a pager. */
const ON_CALL_WAIT_MS = 2_000;

export async function breakGlassFacts(policy: Policy, ownerId: string | undefined, at: Date, onCall?: OnCallPort): Promise<BreakGlassFacts> {
  const notify = [...(policy.breakGlass?.notify ?? [])];
  const reviewers = [...reviewerRefs(policy)];
  const reviewerIds = [...expandPrincipals(policy, reviewers, at)].filter((id) => id !== ownerId).sort();
  const rotations = [...new Set(notify.flatMap((text) => (parsePrincipalRef(text)?.kind === 'oncall' ? [parsePrincipalRef(text)!.name] : [])))];
  const entries = await Promise.all(rotations.map(async (name) => [name, await whoIsOnCall(policy, name, at, onCall)] as const));
  return { notify, reviewers, reviewerIds, onCall: Object.fromEntries(entries) };
}

async function whoIsOnCall(policy: Policy, rotation: string, at: Date, onCall?: OnCallPort): Promise<string[] | null> {
  if (!onCall) return [...expandPrincipals(policy, [`oncall:${rotation}`], at)];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ON_CALL_WAIT_MS);
  });
  try {
    return await Promise.race([onCall.who(rotation, at), late]);
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
  }
}
