/** The soak's memory arithmetic: a leak shows as a rising heap floor, garbage waiting for collection does not. */
import { describe, expect, it } from 'vitest';
import { heapFigures, rssFigures } from '../../bench/load/soak-figures.ts';
import type { RssSample } from '../../bench/load/soak-watch.ts';

/** One sample every 2 s over [0, seconds]: a sawtooth (garbage piling up for 10 s, then collected) over `floor(t)`. */
function sawtooth(process: string, verb: string, seconds: number, floor: (t: number) => number, from = 0): RssSample[] {
  const out: RssSample[] = [];
  for (let t = from; t <= seconds; t += 2) out.push({ process, verb, t, mb: floor(t) + (t % 10) * 8 });
  return out;
}

describe('soak heap figures', () => {
  it('reports a flat floor for a sawtooth heap whose collections always come back to the same level', () => {
    const figures = heapFigures(sawtooth('serve', 'serve', 600, () => 120), 0, 600);
    expect(figures.heapFloorGrowthServeMbPerHour).toBe(0);
    expect(figures.serveHeapFloorEndMb).toBe(120);
  });

  it('reports a leak as the floor rising, per hour, over the second half of the load', () => {
    // 0.05 MB/s retained = 180 MB an hour, under garbage that swings 72 MB.
    const figures = heapFigures(sawtooth('serve', 'serve', 600, (t) => 100 + 0.05 * t), 0, 600);
    expect(figures.heapFloorGrowthServeMbPerHour).toBeCloseTo(180, 0);
  });

  it('averages the workers that lived long enough, skipping their warm-up and a worker killed early', () => {
    const samples = [
      ...sawtooth('serve', 'serve', 600, () => 100),
      ...sawtooth('worker-1', 'worker', 600, (t) => 50 + 0.1 * t), // 360 MB/h
      ...sawtooth('worker-2', 'worker', 600, () => 60),
      // Killed at 330 s: one floor in the window, not enough to count.
      ...sawtooth('worker-3', 'worker', 330, () => 999 - 1),
      // Started at 400 s with a steep warm-up over its first 30 s, flat after.
      ...sawtooth('worker-4', 'worker', 600, (t) => (t < 430 ? 10 * (t - 400) : 70), 400),
    ];
    expect(heapFigures(samples, 0, 600).heapFloorGrowthWorkerMbPerHour).toBeCloseTo(120, 0);
  });

  it('gives the last serve sample after the load as the drained heap', () => {
    const samples = [...sawtooth('serve', 'serve', 600, () => 100), { process: 'serve', verb: 'serve', t: 900, mb: 64 }];
    expect(heapFigures(samples, 0, 600).serveHeapDrainedMb).toBe(64);
  });
});

describe('soak RSS figures', () => {
  it('reports the serve slope over the second half and the drained RSS apart from the load', () => {
    const serve: RssSample[] = [];
    for (let t = 0; t <= 600; t++) serve.push({ process: 'serve', verb: 'serve', t, mb: 300 + (t > 300 ? 0.1 * (t - 300) : 0) });
    serve.push({ process: 'serve', verb: 'serve', t: 900, mb: 250 });
    const figures = rssFigures(serve, 0, 600, 0);
    expect(figures.rssGrowthServeMbPerHour).toBeCloseTo(360, 0);
    expect(figures.serveRssEndMb).toBe(330);
    expect(figures.serveRssDrainedMb).toBe(250);
  });
});
