/**
 * The escalation bench's arithmetic, apart from its set-up: from the pages the PagerDuty fake received (each with
 * its arrival time) and the steps' due times, the lateness of each step's page, and whether every step paged exactly
 * once. Pure functions over plain data, so the bench file says what runs and this one says what is counted.
 */
import type { RecordedCall } from '../../test/oncall/fake-pager-server.ts';

/** One request of the run: its id and when its escalation step fell due (createdAt + the step's `after`), epoch ms. */
export interface DueStep {
  requestId: string;
  dueAt: number;
}

/** The dedup key PagerNotifier gives step 1 of a request (src/oncall/pager-notifier.ts, dedupKeyOf). */
export const stepOneDedupKey = (requestId: string) => `stint-${requestId}-request.escalated-1`;

export interface PageCount {
  /** Triggers received per request of the run (0: never paged). */
  perRequest: Map<string, number>;
  /** Lateness of each request's first page (arrival at the fake − dueAt), ms, ascending. */
  latenessMs: number[];
  /** When each paged request's first page arrived, epoch ms. */
  firstArrival: Map<string, number>;
  /** Arrival times of every trigger for a request of the run, ms, ascending. */
  arrivals: number[];
  missing: number;
  /** Triggers beyond the first for a request (a step paged twice counts 1). */
  duplicates: number;
  /** Triggers whose dedup key names no request of the run (should be 0: nothing else escalates). */
  strangers: number;
}

/** Counts the Events API triggers among the fake's calls (the fake answered them 202 or 400; both count as sent). */
export function countPages(calls: RecordedCall[], steps: DueStep[]): PageCount {
  const byKey = new Map(steps.map((s) => [stepOneDedupKey(s.requestId), s]));
  const perRequest = new Map(steps.map((s) => [s.requestId, 0]));
  const first = new Map<string, number>();
  const arrivals: number[] = [];
  let strangers = 0;
  for (const call of calls) {
    if (call.method !== 'POST' || call.path !== '/v2/enqueue' || call.body?.event_action !== 'trigger') continue;
    const step = byKey.get(String(call.body.dedup_key));
    if (!step) {
      strangers++;
      continue;
    }
    perRequest.set(step.requestId, perRequest.get(step.requestId)! + 1);
    arrivals.push(call.at);
    if (!first.has(step.requestId)) first.set(step.requestId, call.at);
  }
  let missing = 0;
  let duplicates = 0;
  for (const n of perRequest.values()) {
    if (n === 0) missing++;
    else duplicates += n - 1;
  }
  const latenessMs = steps.filter((s) => first.has(s.requestId)).map((s) => first.get(s.requestId)! - s.dueAt);
  return { perRequest, latenessMs: latenessMs.sort((a, b) => a - b), firstArrival: first, arrivals: arrivals.sort((a, b) => a - b), missing, duplicates, strangers };
}

/** Nearest-rank percentile of an ascending list (0 for an empty one). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The most pages received within one wall-clock second (what the worker sustained at its busiest). */
export function busiestSecond(arrivals: number[]): number {
  const perSecond = new Map<number, number>();
  for (const at of arrivals) perSecond.set(Math.floor(at / 1000), (perSecond.get(Math.floor(at / 1000)) ?? 0) + 1);
  return Math.max(0, ...perSecond.values());
}

/** The sum of a Prometheus counter's samples matching `labels` in a /metrics text (0 when absent). */
export function counterValue(metricsText: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of metricsText.split('\n')) {
    const m = /^(\w+)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',');
    if (wanted.every((w) => have.includes(w))) total += Number(m[3]);
  }
  return total;
}
