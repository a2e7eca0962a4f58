/**
 * One sweep of the reconciler (invariant 1): PostgreSQL's nextActionAt is the real schedule, so every request
 * whose next action is due is advanced directly — whatever happened to timers, workers or Redis in between —
 * and the timers of grants ending soon are set again (a no-op where Redis still has them).
 */
import { advanceRequest, type AdvanceOutcome } from './advance-request.ts';
import { EXPIRY_REMINDER_MS, setExpiryTimers } from './expiry-timers.ts';
import type { GrantPorts } from './ports.ts';

export interface SweepResult {
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
  /** How far ahead timers are re-created. @defaultValue 10 min + 60 s */
  horizonMs?: number;
}

export async function reconcileDue(ports: GrantPorts, options: SweepOptions = {}): Promise<SweepResult> {
  const result: SweepResult = { activated: [], revoked: [], failed: [], busy: [], timers: 0 };
  const batch = options.batch ?? 200;
  const seen = new Set<string>();
  // Batches until nothing due is left that this sweep has not looked at (busy rows stay due, so they are skipped).
  for (;;) {
    const due = (await ports.store.listDueRequests(ports.clock.now(), batch)).filter((r) => !seen.has(r.id));
    if (due.length === 0) break;
    for (const r of due) seen.add(r.id);
    await inChunks(due, options.concurrency ?? 8, async (r) => tally(result, r.id, await advanceRequest(r.id, ports)));
  }
  const horizon = new Date(ports.clock.now().getTime() + (options.horizonMs ?? EXPIRY_REMINDER_MS + 60_000));
  const ending = await ports.store.listActiveExpiringBefore(horizon, 5_000);
  await inChunks(ending, 50, (r) => setExpiryTimers(r, ports));
  result.timers = ending.length;
  return result;
}

function tally(result: SweepResult, id: string, outcome: AdvanceOutcome): void {
  if (outcome === 'activated') result.activated.push(id);
  else if (outcome === 'revoked') result.revoked.push(id);
  else if (outcome === 'grant_failed' || outcome === 'retrying') result.failed.push(id);
  else if (outcome === 'busy') result.busy.push(id);
}

async function inChunks<T>(items: T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}
