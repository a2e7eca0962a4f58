/** A real `stint worker`'s metrics endpoint, read by fault tests and benches: its URL and one sample's value. */
import type { StintProcess } from './stint-process.ts';

/** The worker's /healthz, /readyz and /metrics base URL, from its start-up banner. */
export function metricsUrl(worker: StintProcess): string {
  const found = /metrics on (http:\/\/\S+)/.exec(worker.output());
  if (!found) throw new Error(`${worker.name} printed no metrics URL`);
  return found[1]!;
}

/** The value of one Prometheus sample of the worker's /metrics (0 when absent). */
export async function metricValue(worker: StintProcess, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${metricsUrl(worker)}/metrics`)).text();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^(\w+)(?:\{([^}]*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',');
    if (wanted.every((w) => have.includes(w))) total += Number(m[3]);
  }
  return total;
}
