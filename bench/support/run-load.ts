/** The closed loop both load clients run: warm up for a second, then `concurrency` loops for `seconds`, timing each call. */
export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  concurrency: number;
}

export async function runLoad(work: () => Promise<void>, options: { seconds: number; concurrency: number }): Promise<LoadResult> {
  const warmUntil = performance.now() + 1000;
  while (performance.now() < warmUntil) await work();
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const end = started + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await work();
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors, concurrency: options.concurrency };
}
