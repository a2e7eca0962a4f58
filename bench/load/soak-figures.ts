/**
 * The soak's arithmetic, kept apart from the driver: percentiles, the least-squares RSS slope and the RSS summary.
 *
 * RSS growth (`rssGrowthMbPerHour`): the slope of VmRSS against time by least squares, per process, over the
 * second half of the load only (the first half is warm-up: JIT, pools, caches, the queues filling to their
 * steady depth). Per process, because workers are SIGKILLed and replaced during the run: one series across a
 * restart would show each new worker's lower RSS as a drop and hide a leak. A worker counts once it has lived
 * 30 s (its own warm-up) and has at least 30 samples in the window. The figure is the serve's slope plus the
 * mean worker slope times the number of workers — what the whole deployment would grow by in an hour.
 * Under load V8 lets the heap grow before it collects, so a slope over five minutes also shows that; the drained
 * figures (the last sample, after every grant ended) tell it from a leak: a leak stays, a lazy heap comes back.
 *
 * Heap floor growth (`heapFloorGrowth…MbPerHour`): the same slope, over the same window, of the lowest V8 heap in
 * use in each minute (what is left after the collections of that minute: live objects, not garbage waiting for
 * the next collection). Under a steady load a leak shows as a rising floor; live state that has reached its
 * steady size (grants in flight, queued jobs) as a flat one.
 */
import type { RssSample } from './soak-watch.ts';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

type Point = { x: number; y: number };

/** Least-squares slope of y over x; 0 for fewer than two points. */
export function slope(points: Point[]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

export const mean = (values: number[]): number => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);

const WORKER_WARMUP_S = 30;
const MIN_POINTS = 30;

const FLOOR_WINDOW_S = 60;
const MIN_FLOORS = 3;

export interface HeapFigures {
  heapFloorGrowthServeMbPerHour: number;
  heapFloorGrowthWorkerMbPerHour: number;
  /** The serve's heap floor in the last minute of the load, and its last heap sample once drained. */
  serveHeapFloorEndMb: number;
  serveHeapDrainedMb: number;
}

/** `from`/`to`: the load phase, in the samples' seconds. See the header for what the floor is. */
export function heapFigures(samples: RssSample[], from: number, to: number): HeapFigures {
  const half = from + (to - from) / 2;
  const byProcess = groupByProcess(samples);
  const floors = (series: RssSample[], since: number) => {
    const lowest = new Map<number, number>();
    for (const s of series) {
      if (s.t < since || s.t > to) continue;
      const window = Math.floor((s.t - since) / FLOOR_WINDOW_S);
      lowest.set(window, Math.min(lowest.get(window) ?? Infinity, s.mb));
    }
    return [...lowest].map(([window, mb]) => ({ x: (since + (window + 0.5) * FLOOR_WINDOW_S) / 3600, y: mb }));
  };
  const serve = samples.filter((s) => s.verb === 'serve');
  const serveEnd = serve.filter((s) => s.t > to - FLOOR_WINDOW_S && s.t <= to).map((s) => s.mb);
  return {
    heapFloorGrowthServeMbPerHour: round(slope(floors(serve, half))),
    heapFloorGrowthWorkerMbPerHour: round(meanWorkerSlope(byProcess, half, floors, MIN_FLOORS)),
    serveHeapFloorEndMb: round(serveEnd.length ? Math.min(...serveEnd) : 0),
    serveHeapDrainedMb: round(serve.at(-1)?.mb ?? 0),
  };
}

function groupByProcess(samples: RssSample[]): Map<string, RssSample[]> {
  const byProcess = new Map<string, RssSample[]>();
  for (const s of samples) byProcess.set(s.process, [...(byProcess.get(s.process) ?? []), s]);
  return byProcess;
}

/**
 * The mean slope over the workers: each from `half` or the end of its warm-up, whichever is later, counted when
 * `pointsOf` gives it at least `minPoints` there (0 when none does).
 */
function meanWorkerSlope(byProcess: Map<string, RssSample[]>, half: number, pointsOf: (series: RssSample[], since: number) => Point[], minPoints: number): number {
  const slopes: number[] = [];
  for (const series of byProcess.values()) {
    if (series[0]!.verb !== 'worker') continue;
    const points = pointsOf(series, Math.max(half, series[0]!.t + WORKER_WARMUP_S));
    if (points.length >= minPoints) slopes.push(slope(points));
  }
  return mean(slopes);
}

export interface RssFigures {
  serveRssStartMb: number;
  serveRssEndMb: number;
  serveRssMaxMb: number;
  workerRssStartMb: number;
  workerRssEndMb: number;
  workerRssMaxMb: number;
  rssGrowthServeMbPerHour: number;
  rssGrowthWorkerMbPerHour: number;
  rssGrowthMbPerHour: number;
  serveRssDrainedMb: number;
  workerRssDrainedMb: number;
}

/** `from`/`to`: the load phase, in the samples' seconds; `workers`: how many run at once. */
export function rssFigures(samples: RssSample[], from: number, to: number, workers: number): RssFigures {
  const byProcess = groupByProcess(samples);
  const serve = samples.filter((s) => s.verb === 'serve');
  const worker = samples.filter((s) => s.verb === 'worker');
  const half = from + (to - from) / 2;
  // RSS against time in hours, from `since` to the end of the load.
  const points = (series: RssSample[], since: number) => series.filter((s) => s.t >= since && s.t <= to).map((s) => ({ x: s.t / 3600, y: s.mb }));

  const serveSlope = slope(points(serve, half));
  const workerSlope = meanWorkerSlope(byProcess, half, points, MIN_POINTS);
  const loadOnly = (series: RssSample[]) => series.filter((s) => s.t >= from && s.t <= to);
  const first = (series: RssSample[]) => loadOnly(series)[0]?.mb ?? 0;
  const last = (series: RssSample[]) => loadOnly(series).at(-1)?.mb ?? 0;
  const max = (series: RssSample[]) => Math.max(0, ...loadOnly(series).map((s) => s.mb));
  // The mean of the last sample up to `until` of each worker alive then (undefined: none was).
  const workersAt = (until: number): number | undefined => {
    const lasts = [...byProcess.values()]
      .filter((s) => s[0]!.verb === 'worker')
      .map((s) => s.filter((x) => x.t <= until).at(-1))
      .filter((x): x is RssSample => x !== undefined && x.t >= until - 2);
    return lasts.length ? mean(lasts.map((x) => x.mb)) : undefined;
  };
  const end = Math.max(0, ...samples.map((s) => s.t));
  return {
    serveRssStartMb: round(first(serve)),
    serveRssEndMb: round(last(serve)),
    serveRssMaxMb: round(max(serve)),
    workerRssStartMb: round(first(worker)),
    workerRssEndMb: round(workersAt(to) ?? last(worker)),
    workerRssMaxMb: round(max(worker)),
    rssGrowthServeMbPerHour: round(serveSlope),
    rssGrowthWorkerMbPerHour: round(workerSlope),
    rssGrowthMbPerHour: round(serveSlope + workerSlope * workers),
    serveRssDrainedMb: round(serve.at(-1)?.mb ?? 0),
    workerRssDrainedMb: round(workersAt(end) ?? 0),
  };
}
