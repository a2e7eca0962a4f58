/**
 * One sweep of the reconciler (invariant 1): PostgreSQL's nextActionAt is the real schedule, so every request
 * whose next action is due is advanced directly — whatever happened to timers, workers or Redis in between —
 * and the timers of grants ending soon and of escalation steps falling due soon are set again (a no-op where Redis
 * still has them).
 */
import { advanceRequest, type AdvanceOutcome } from './advance-request.ts';
import { EXPIRY_REMINDER_MS, setExpiryTimers } from './expiry-timers.ts';
import type { AccessRequest } from '../domain/request.ts';
import { escalationKey, nextEscalationAction } from './escalation.ts';
import type { GrantPorts } from './ports.ts';

export interface SweepResult {
  escalated: string[];
  reminded: string[];
  timedOut: string[];
  activated: string[];
  revoked: string[];
  failed: string[];
  /** Held by another worker's lease; looked at again at the next sweep. */
  busy: string[];
  /** Grants whose timers were (re)set. */
  timers: number;
}

export interface SweepOptions {
  /** Rows per batch. @defaultValue 200 */
  batch?: number;
  /** Requests advanced at once. @defaultValue 8 */
  concurrency?: number;
  /**
   * How far ahead timers are re-created: revoke timers of grants ending within it, and reminders falling within
   * it. Twice the sweep interval is enough: a grant further out gets its timer back at a later sweep.
   * @defaultValue 60 s
   */
  horizonMs?: number;
  /**
   * Only rows overdue by more than this are advanced here: on time, their queue job does it, and two workers
   * racing for one row only waste a lease claim. Invariant 1's 5 s margin covers it. @defaultValue 0
   */
  graceMs?: number;
  /**
   * Rows found leased by another worker are tried again every `everyMs` for up to `forMs`, beside the rest of the
   * sweep: a worker killed mid-revoke leaves a lease that lapses within seconds, and a long sweep (a backlog after
   * a worker died) must not hold such a row until it ends. Rows still leased after that are reported `busy`.
   * Absent: reported `busy` at once.
   */
  busyRetry?: { everyMs: number; forMs: number };
}

export async function reconcileDue(ports: GrantPorts, options: SweepOptions = {}): Promise<SweepResult> {
  const result: SweepResult = { escalated: [], reminded: [], timedOut: [], activated: [], revoked: [], failed: [], busy: [], timers: 0 };
  const batch = options.batch ?? 200;
  const seen = new Set<string>();
  const retries: Array<Promise<void>> = [];
  // Batches until nothing due is left that this sweep has not looked at (busy rows stay due, so they are skipped).
  for (;;) {
    const cutoff = new Date(ports.clock.now().getTime() - (options.graceMs ?? 0));
    const due = (await ports.store.listDueRequests(cutoff, batch)).filter((r) => !seen.has(r.id));
    if (due.length === 0) break;
    for (const r of due) seen.add(r.id);
    await pooled(due, options.concurrency ?? 8, async (r) => {
      const outcome = await advanceRequest(r.id, ports);
      // Handled at once (not only when awaited below): a sweep that fails meanwhile must not leave a rejection
      // nobody listens to. A retry that failed counts as still busy: the next tick, a second later, tries again.
      if (outcome === 'busy' && options.busyRetry) {
        retries.push(retryBusy(r.id, options.busyRetry, ports).then((later) => tally(result, r.id, later), () => tally(result, r.id, 'busy')));
      }
      else tally(result, r.id, outcome);
    });
  }
  await Promise.all(retries);
  const now = ports.clock.now().getTime();
  const horizon = options.horizonMs ?? 60_000;
  const at = (ms: number) => new Date(now + ms);
  const ending = [
    ...(await ports.store.listActiveExpiringBetween(at(-horizon), at(horizon), 5_000)),
    ...(await ports.store.listActiveExpiringBetween(at(EXPIRY_REMINDER_MS), at(EXPIRY_REMINDER_MS + horizon), 5_000)),
  ];
  await pooled(ending, 50, (r) => setExpiryTimers(r, ports));
  const escalating = await ports.store.listPendingDueBetween(at(-horizon), at(horizon), 5_000);
  await pooled(escalating, 50, (r) => setEscalationTimer(r, ports));
  result.timers = ending.length + escalating.length;
  return result;
}

/** The alarm of a pending request's next SLA action (a no-op where Redis still has it). */
async function setEscalationTimer(request: AccessRequest, ports: GrantPorts): Promise<void> {
  const workflow = ports.policy.current().workflows.get(request.workflow);
  if (!workflow) return;
  const next = nextEscalationAction(request, workflow);
  await ports.scheduler.escalateAt(request.id, escalationKey(next), next.at);
}

function tally(result: SweepResult, id: string, outcome: AdvanceOutcome): void {
  if (outcome === 'escalated') result.escalated.push(id);
  else if (outcome === 'timed_out') result.timedOut.push(id);
  else if (outcome === 'reminded') result.reminded.push(id);
  else if (outcome === 'activated') result.activated.push(id);
  else if (outcome === 'revoked') result.revoked.push(id);
  else if (outcome === 'grant_failed' || outcome === 'retrying') result.failed.push(id);
  else if (outcome === 'busy') result.busy.push(id);
}

/** Tries a leased row again until its lease lapses or `forMs` has passed (real time: leases are wall-clock). */
async function retryBusy(id: string, retry: { everyMs: number; forMs: number }, ports: GrantPorts): Promise<AdvanceOutcome> {
  const giveUpAt = Date.now() + retry.forMs;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, retry.everyMs));
    const outcome = await advanceRequest(id, ports);
    if (outcome !== 'busy' || Date.now() >= giveUpAt) return outcome;
  }
}

/** `work` over `items` with at most `size` in flight (one slow item does not hold up a whole chunk). */
async function pooled<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, lane));
}
