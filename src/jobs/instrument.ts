/**
 * What feeds the metrics from outside the jobs: each provider call timed and counted (a wrapper, so no provider
 * knows about Prometheus), and a Notifier in the fan-out that counts events and observes decision latency.
 */
import type { Notification, Notifier, Provider } from '../core/ports.ts';
import type { JobMetrics } from './metrics.ts';

const OPERATIONS = ['grant', 'extend', 'revoke', 'check', 'credential', 'activity'] as const;

/** The provider with its calls timed and counted; everything else (its own extras, `close`) passes through. */
export function instrumentProvider(provider: Provider, metrics: JobMetrics): Provider {
  const timed = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  return new Proxy(provider, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string' || !(OPERATIONS as readonly string[]).includes(key) || typeof value !== 'function') return value;
      let wrapper = timed.get(key);
      if (!wrapper) {
        const op = key;
        wrapper = async (...args: unknown[]) => {
          const end = metrics.providerCallSeconds.startTimer({ provider: target.type, op });
          try {
            const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
            metrics.providerCalls.inc({ provider: target.type, op, outcome: 'ok' });
            return result;
          } catch (err) {
            metrics.providerCalls.inc({ provider: target.type, op, outcome: 'error' });
            throw err;
          } finally {
            end();
          }
        };
        timed.set(key, wrapper);
      }
      return wrapper;
    },
  });
}

export class MetricsNotifier implements Notifier {
  constructor(private readonly metrics: JobMetrics) {}

  async notify(n: Notification): Promise<void> {
    this.metrics.events.inc({ event: n.kind });
    if (n.kind === 'request.decided' && n.request.status !== 'PENDING' && n.request.decidedAt) {
      const outcome = n.request.autoApproved ? 'auto_approved' : n.request.status === 'DENIED' ? 'denied' : n.request.breakGlass ? 'break_glass' : 'approved';
      this.metrics.decisionLatency.observe({ outcome }, seconds(n.request.createdAt, n.request.decidedAt));
    }
    if (n.kind === 'request.timed_out') this.metrics.decisionLatency.observe({ outcome: 'timed_out' }, seconds(n.request.createdAt, n.request.decidedAt ?? new Date()));
  }
}

const seconds = (from: Date, to: Date) => Math.max(0, (to.getTime() - from.getTime()) / 1000);
