/**
 * The approvers' daily digest (issue 7): once a day, at the policy's `digest.at` in its timezone (09:00 on weekdays
 * by default), each approver gets one message listing the requests that wait for their decision — oldest first,
 * only those they may still decide (not their own, not already decided; on-call resolved now). Leader-only work:
 * the day is claimed in the database with its audit event (`digest.sent`), so a leader that took over, or a
 * restart, never sends a day's digest twice. A leader down at the hour catches up within CATCH_UP_MS, not later:
 * a 09:00 digest is not worth sending in the evening.
 */
import type { AccessRequest } from '../domain/request.ts';
import { ownerOf } from '../policy/index.ts';
import type { Policy } from '../policy/model.ts';
import { localParts, wallClockMs } from '../policy/zoned-time.ts';
import { onCallNow } from './on-call-now.ts';
import type { CorePorts, DigestItem, DigestSender } from './ports.ts';
import { currentApprovers } from './visibility.ts';

export type DigestPorts = Pick<CorePorts, 'store' | 'policy' | 'clock' | 'oncall'> & { digest: DigestSender };

export type DigestOutcome =
  /** `digest: false`, a weekend without `weekends: true`, before the hour, or past the catch-up window. */
  | { kind: 'not_due' }
  /** Someone (this process earlier, or another leader) already did this day. */
  | { kind: 'already_sent'; period: string }
  | { kind: 'sent'; period: string; approvers: Record<string, number> };

const CATCH_UP_MS = 4 * 3600_000;
/** Pending requests read per day at most (oldest first beyond this are left to `stint list`). */
const MAX_PENDING = 5_000;
const PAGE = 500;

/** The local day (`2026-12-02`) whose digest is due at `now`, or undefined when none is. */
export function digestPeriodDue(policy: Policy, now: Date): string | undefined {
  const schedule = policy.digest;
  if (!schedule) return undefined;
  const local = localParts(now, policy.timezone);
  if (!schedule.weekends && (local.weekday === 0 || local.weekday === 6)) return undefined;
  const [hour, minute] = schedule.at.split(':').map(Number) as [number, number];
  const sinceDue = wallClockMs(now, policy.timezone) - Date.UTC(local.year, local.month - 1, local.day, hour, minute);
  if (sinceDue < 0 || sinceDue > CATCH_UP_MS) return undefined;
  return `${local.year}-${String(local.month).padStart(2, '0')}-${String(local.day).padStart(2, '0')}`;
}

/** `skip`: a period this process already handled (the reconciler remembers it, so later ticks that day cost nothing). */
export async function sendDigest(ports: DigestPorts, skip?: string): Promise<DigestOutcome> {
  const policy = ports.policy.current();
  const now = ports.clock.now();
  const period = digestPeriodDue(policy, now);
  if (!period) return { kind: 'not_due' };
  if (period === skip) return { kind: 'already_sent', period };

  const byApprover = await waitingByApprover(ports, policy, now);
  const approvers = Object.fromEntries([...byApprover].map(([id, items]) => [id, items.length]));
  const claimed = await ports.store.transaction(async (tx) => {
    if (!(await tx.claimPeriodicRun('digest', period, now))) return false;
    if (byApprover.size > 0) tx.appendAudit({ actor: 'stint', action: 'digest.sent', data: { period, approvers }, at: now });
    return true;
  });
  if (!claimed) return { kind: 'already_sent', period };
  for (const [personId, items] of byApprover) await ports.digest.sendDigest(personId, items);
  return { kind: 'sent', period, approvers };
}

/** Each approver's waiting requests, oldest first. */
async function waitingByApprover(ports: DigestPorts, policy: Policy, now: Date): Promise<Map<string, DigestItem[]>> {
  const pending: AccessRequest[] = [];
  let beforeId: string | undefined;
  while (pending.length < MAX_PENDING) {
    const page = await ports.store.listRequests({ statuses: ['PENDING'], limit: PAGE, ...(beforeId && { beforeId }) });
    pending.push(...page);
    if (page.length < PAGE) break;
    beforeId = page.at(-1)!.id;
  }
  const { people: onCall } = await onCallNow(policy, now, ports.oncall);
  const out = new Map<string, DigestItem[]>();
  for (const request of pending.reverse()) {
    const decisions = await ports.store.listDecisions(request.id);
    const owner = ownerOf(policy, request.requesterId);
    const decided = new Set(decisions.map((d) => d.approverId));
    const approvals = decisions.filter((d) => d.verdict === 'approve').length;
    for (const id of currentApprovers(policy, request, now, onCall)) {
      if (id === owner || decided.has(id)) continue;
      const list = out.get(id) ?? [];
      list.push({ request, approvals });
      out.set(id, list);
    }
  }
  return out;
}
