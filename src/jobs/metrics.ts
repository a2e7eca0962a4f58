/**
 * Prometheus metrics of the background work (prom-client, one registry per app — no global default
 * registry, so two apps in one test process do not collide). The operations issue adds the rest.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface JobMetrics {
  registry: Registry;
  jobs: Counter<'queue' | 'outcome'>;
  /** Seconds from a grant's expiresAt to the start of its revoke (invariant 1's figure). */
  revocationLag: Histogram;
  sweeps: Counter<'outcome'>;
}

export function createJobMetrics(): JobMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'stint_' });
  return {
    registry,
    jobs: new Counter({ name: 'stint_jobs_total', help: 'Jobs processed, by queue and outcome', labelNames: ['queue', 'outcome'], registers: [registry] }),
    revocationLag: new Histogram({
      name: 'stint_revocation_lag_seconds',
      help: 'Seconds from expiresAt to the start of the revoke',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60],
      registers: [registry],
    }),
    sweeps: new Counter({ name: 'stint_reconciler_sweeps_total', help: 'Reconciler sweeps, by outcome', labelNames: ['outcome'], registers: [registry] }),
  };
}
