/**
 * The `notify` queue (DESIGN.md section 4): posting and updating chat cards off the request path. Job data is
 * ids only; the job's name is the platform (`slack`), its id `notify-<platform>-<requestId>-<key>`, so a
 * notification that is still waiting is not queued twice. Until `connect()` (tests on the in-memory store,
 * `serve` before Redis answers) or when an add fails, the same delivery runs in this process instead, in the
 * background: a use case never waits for chat. In one process, the jobs of one request run one at a time and
 * in order (a card is posted before it is updated); across processes each delivery re-reads the state after
 * its writes, so the last write shows the current state.
 */
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { NOTIFY_EVENTS, type NotifyDelivery, type NotifyJob, type NotifyOutbox } from '../notify/notify-outbox.ts';
import type { JobMetrics } from './metrics.ts';
import { JOB_OPTIONS } from './queues.ts';

export const NOTIFY_QUEUE = 'notify';
const ADD_TIMEOUT_MS = 2_000;
/** Inline deliveries retry a failed job this many times more, 1 s then 2 s apart (the queue has its own retries). */
const INLINE_RETRIES = 2;

const NOTIFY_JOB = z.object({
  requestId: z.string().regex(/^jit_[0-9A-Z]{26}$/),
  event: z.enum(NOTIFY_EVENTS),
  actorId: z.string().max(200).optional(),
  attempt: z.number().int().min(0).optional(),
  level: z.number().int().min(1).max(100).optional(),
  resourceId: z.string().max(500).optional(),
  found: z.enum(['present', 'absent']).optional(),
  fixed: z.boolean().optional(),
});

/** BullMQ ids must not contain `:`; anything outside a small alphabet becomes `_`. */
export function notifyJobId(platform: string, requestId: string, key: string): string {
  return `notify-${platform}-${requestId}-${key}`.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export interface NotifyWorkerOptions {
  redisUrl: string;
  prefix: string;
  metrics?: JobMetrics;
  /** Jobs run at once (per-channel pacing happens inside each delivery). @defaultValue 8 */
  concurrency?: number;
}

export class NotifyQueue implements NotifyOutbox {
  private readonly deliveries = new Map<string, NotifyDelivery>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly lanes = new Map<string, Promise<unknown>>();
  private queue: Queue | undefined;
  private worker: { worker: Worker; connection: Redis } | undefined;

  constructor(private readonly logger: Logger) {}

  register(platform: string, deliver: NotifyDelivery): void {
    this.deliveries.set(platform, deliver);
  }

  /** True when some platform delivers notifications (else no worker is worth a Redis connection). */
  get active(): boolean {
    return this.deliveries.size > 0;
  }

  /** From now on jobs go to Redis (shared connection of the app's queues, no offline queue). */
  connect(connection: Redis, prefix: string, onError: (err: Error) => void = () => undefined): void {
    if (this.queue) return;
    this.queue = new Queue(NOTIFY_QUEUE, { connection, prefix, defaultJobOptions: JOB_OPTIONS });
    this.queue.on('error', onError);
  }

  async dispatch(platform: string, job: NotifyJob, key: string): Promise<void> {
    if (!this.deliveries.has(platform)) return;
    const queue = this.queue;
    if (queue) {
      const jobId = notifyJobId(platform, job.requestId, key);
      try {
        await withTimeout(queue.add(platform, job, { jobId }), ADD_TIMEOUT_MS);
        return;
      } catch (err) {
        this.logger.warn({ err: err instanceof Error ? err.message : String(err), jobId }, 'notify queue unavailable; sending from this process');
      }
    }
    this.runInline(platform, job);
  }

  startWorker(options: NotifyWorkerOptions): void {
    if (this.worker || !this.active) return;
    const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    connection.on('error', () => undefined); // reconnects by itself; the worker's 'error' event logs
    const processJob = async (job: Job) => {
      const parsed = NOTIFY_JOB.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError(`notify job ${job.id} has malformed data: ${parsed.error.message}`);
      await this.inLane(parsed.data.requestId, () => this.deliver(job.name, parsed.data));
      options.metrics?.jobs.inc({ queue: NOTIFY_QUEUE, outcome: 'sent' });
    };
    const worker = new Worker(NOTIFY_QUEUE, processJob, { connection, prefix: options.prefix, concurrency: options.concurrency ?? 8 });
    worker.on('failed', (job, err) => {
      options.metrics?.jobs.inc({ queue: NOTIFY_QUEUE, outcome: 'error' });
      this.logger.error({ err, jobId: job?.id }, 'notify job failed; it is retried a few times, then the card waits for the next change');
    });
    worker.on('error', (err) => this.logger.warn({ err: err.message, queue: NOTIFY_QUEUE }, 'worker: Redis error (reconnecting)'));
    this.worker = { worker, connection };
  }

  /** Resolves when every delivery running in this process has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Stops taking jobs, lets running ones finish, and waits for inline deliveries. The shared connection stays open. */
  async close(): Promise<void> {
    await this.worker?.worker.close();
    this.worker?.connection.disconnect();
    this.worker = undefined;
    await this.queue?.close().catch(() => undefined);
    this.queue = undefined;
    await this.idle();
  }

  private runInline(platform: string, job: NotifyJob): void {
    const attempt = async () => {
      for (let retry = 0; ; retry++) {
        try {
          return await this.deliver(platform, job);
        } catch (err) {
          if (retry >= INLINE_RETRIES) throw err;
          await new Promise((resolve) => setTimeout(resolve, 1_000 * 2 ** retry));
        }
      }
    };
    const run = this.inLane(job.requestId, attempt).catch((err: unknown) => {
      this.logger.error({ err, requestId: job.requestId, event: job.event, platform }, 'notification not delivered; the card catches up at the next change');
    });
    this.inflight.add(run);
    void run.finally(() => this.inflight.delete(run));
  }

  private deliver(platform: string, job: NotifyJob): Promise<void> {
    const deliver = this.deliveries.get(platform);
    if (!deliver) throw new UnrecoverableError(`no notifier for platform "${platform}" in this process`);
    return deliver(job);
  }

  /** Runs `work` after the work already queued in this process for the same request. */
  private inLane<T>(requestId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.lanes.get(requestId) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.lanes.set(requestId, tail);
    void tail.then(() => {
      if (this.lanes.get(requestId) === tail) this.lanes.delete(requestId);
    });
    return next;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
