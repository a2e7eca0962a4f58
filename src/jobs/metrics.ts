/**
 * Prometheus metrics (prom-client, one registry per app — no global default registry, so two apps in one test
 * process do not collide). Counters and histograms are fed where things happen (jobs, the notification fan-out,
 * provider calls, chat senders); gauges of state (requests by status, grants active, queue depths) are read when
 * Prometheus scrapes, at most once a second, so a scrape never costs more than one small query per source.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface JobMetrics {
  registry: Registry;
  jobs: Counter<'queue' | 'outcome'>;
  /** Seconds from a grant's expiresAt to the start of its revoke (invariant 1's figure). */
  revocationLag: Histogram;
  sweeps: Counter<'outcome'>;
  /** Transitions and notable events, by notification kind (`request.pending`, `grant.revoked`, …). */
  events: Counter<'event'>;
  /** Seconds from a request's creation to its decision, by how it was decided. */
  decisionLatency: Histogram<'outcome'>;
  /** Provider calls by provider type, operation and outcome, with their duration. */
  providerCalls: Counter<'provider' | 'op' | 'outcome'>;
  providerCallSeconds: Histogram<'provider' | 'op'>;
  /** HTTP 429 answers from Slack or Teams (each waited out as Retry-After says). */
  chatRateLimited: Counter<'platform'>;
  /** Introspections answered (POST /api/v1/introspect), by whether the credential was active. */
  introspections: Counter<'active'>;
  /** Read at scrape time: what the gauges show. Set once the app has its store and queues. */
  sources: GaugeSources;
}

export interface GaugeSources {
  requestsByStatus?: () => Promise<Record<string, number>>;
  queueDepths?: () => Promise<Array<{ queue: string; state: string; count: number }>>;
}

const STATUSES = ['PENDING', 'APPROVED', 'ACTIVE', 'REVOKING', 'REVOKED', 'GRANT_FAILED', 'DENIED', 'CANCELLED', 'TIMED_OUT'];

export function createJobMetrics(): JobMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'stint_' });
  const sources: GaugeSources = {};
  const byStatus = memo(async () => (sources.requestsByStatus ? sources.requestsByStatus() : null));
  new Gauge({
    name: 'stint_requests',
    help: 'Requests in each status now',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await byStatus();
      if (counts) for (const status of STATUSES) this.set({ status }, counts[status] ?? 0);
    },
  });
  new Gauge({
    name: 'stint_grants_active',
    help: 'Grants in force now (ACTIVE or being revoked)',
    registers: [registry],
    async collect() {
      const counts = await byStatus();
      if (counts) this.set((counts.ACTIVE ?? 0) + (counts.REVOKING ?? 0));
    },
  });
  new Gauge({
    name: 'stint_queue_jobs',
    help: 'Jobs in each BullMQ queue by state (waiting, active, delayed, failed)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      if (!sources.queueDepths) return;
      try {
        for (const { queue, state, count } of await sources.queueDepths()) this.set({ queue, state }, count);
      } catch {
        // Redis away: the depths are unknown rather than stale; the scrape still answers.
        this.reset();
      }
    },
  });
  return {
    registry,
    sources,
    jobs: new Counter({ name: 'stint_jobs_total', help: 'Jobs processed, by queue and outcome', labelNames: ['queue', 'outcome'], registers: [registry] }),
    revocationLag: new Histogram({
      name: 'stint_revocation_lag_seconds',
      help: 'Seconds from expiresAt to the start of the revoke',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60],
      registers: [registry],
    }),
    sweeps: new Counter({ name: 'stint_reconciler_sweeps_total', help: 'Reconciler sweeps, by outcome', labelNames: ['outcome'], registers: [registry] }),
    events: new Counter({ name: 'stint_events_total', help: 'Request and grant events, by kind', labelNames: ['event'], registers: [registry] }),
    decisionLatency: new Histogram({
      name: 'stint_decision_latency_seconds',
      help: 'Seconds from a request to its decision, by outcome (approved, denied, auto_approved, timed_out)',
      labelNames: ['outcome'],
      buckets: [1, 10, 30, 60, 300, 900, 1800, 3600, 7200, 14_400, 86_400],
      registers: [registry],
    }),
    providerCalls: new Counter({ name: 'stint_provider_calls_total', help: 'Provider calls by type, operation and outcome', labelNames: ['provider', 'op', 'outcome'], registers: [registry] }),
    providerCallSeconds: new Histogram({
      name: 'stint_provider_call_seconds',
      help: 'Provider call duration by type and operation',
      labelNames: ['provider', 'op'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    introspections: new Counter({ name: 'stint_introspections_total', help: 'Introspections answered, by whether the credential was active', labelNames: ['active'], registers: [registry] }),
    chatRateLimited: new Counter({ name: 'stint_chat_rate_limited_total', help: 'HTTP 429 answers from the chat platforms, by platform', labelNames: ['platform'], registers: [registry] }),
  };
}

/** One call per second at most, shared by the gauges of one scrape. */
function memo<T>(load: () => Promise<T>): () => Promise<T> {
  let cached: { at: number; value: Promise<T> } | null = null;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > 1_000) {
      const value = load().catch(() => null as T);
      cached = { at: now, value };
    }
    return cached.value;
  };
}
