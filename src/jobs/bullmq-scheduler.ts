/**
 * The Scheduler port on BullMQ: timers become delayed jobs with deterministic ids. Best effort by contract —
 * a failed add (Redis down) is logged and the reconciler, reading PostgreSQL, covers it — so a use case never
 * fails because Redis did. The queue connection has no offline queue: an add fails fast instead of hanging.
 */
import type { Logger } from 'pino';
import type { Scheduler } from '../core/ports.ts';
import { jobIds, type StintQueues } from './queues.ts';

const ADD_TIMEOUT_MS = 2_000;

export class BullmqScheduler implements Scheduler {
  constructor(
    private readonly queues: StintQueues,
    private readonly logger: Logger,
  ) {}

  activateSoon(requestId: string): Promise<void> {
    return this.add('grant', 'activate', { requestId }, jobIds.grant(requestId), 0);
  }

  revokeAt(requestId: string, key: string, at: Date): Promise<void> {
    return this.add('revoke', 'revoke', { requestId }, jobIds.revoke(requestId, key), at.getTime() - Date.now());
  }

  remindAt(requestId: string, generation: number, at: Date): Promise<void> {
    return this.add('remind', 'expiring', { requestId, generation }, jobIds.remind(requestId, generation), at.getTime() - Date.now());
  }

  escalateAt(requestId: string, key: string, at: Date): Promise<void> {
    return this.add('escalate', 'escalate', { requestId }, jobIds.escalate(requestId, key), at.getTime() - Date.now());
  }

  private async add(queue: keyof StintQueues, name: string, data: Record<string, unknown>, jobId: string, delayMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ADD_TIMEOUT_MS} ms`)), ADD_TIMEOUT_MS);
      });
      await Promise.race([this.queues[queue].add(name, data, { jobId, delay: Math.max(0, Math.round(delayMs)) }), timeout]);
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err), jobId }, 'timer not set in Redis; the reconciler will act on time from PostgreSQL');
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Until queues are connected (tests of the HTTP surface, `serve` without Redis yet): nothing to set. */
export const NO_TIMERS: Scheduler = {
  activateSoon: async () => undefined,
  revokeAt: async () => undefined,
  remindAt: async () => undefined,
  escalateAt: async () => undefined,
};

/** The scheduler the use cases hold; the app points it at BullMQ once Redis is connected. */
export class SwitchableScheduler implements Scheduler {
  target: Scheduler = NO_TIMERS;
  activateSoon(requestId: string) {
    return this.target.activateSoon(requestId);
  }
  revokeAt(requestId: string, key: string, at: Date) {
    return this.target.revokeAt(requestId, key, at);
  }
  remindAt(requestId: string, generation: number, at: Date) {
    return this.target.remindAt(requestId, generation, at);
  }
  escalateAt(requestId: string, key: string, at: Date) {
    return this.target.escalateAt(requestId, key, at);
  }
}
