/**
 * The BullMQ workers: `grant`, `revoke` and `escalate` jobs advance their request (core/advance-request.ts reads the state
 * first, so a duplicate or stale job does nothing), `remind` jobs send "expires in 10 minutes". Each worker has
 * its own blocking Redis connection; close() lets jobs in flight finish (graceful shutdown). `escalate` jobs move
 * a pending request along its SLA through the same entry point.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { advanceRequest } from '../core/advance-request.ts';
import { escalateRequest } from '../core/escalate-request.ts';
import type { GrantPorts } from '../core/ports.ts';
import { remindExpiry } from '../core/remind-expiry.ts';
import type { JobMetrics } from './metrics.ts';
import type { QueueName } from './queues.ts';

export interface WorkerOptions {
  redisUrl: string;
  prefix: string;
  ports: GrantPorts;
  logger: Logger;
  metrics: JobMetrics;
  /** Jobs run at once per queue. @defaultValue 16 */
  concurrency?: number;
}

export interface Workers {
  close(): Promise<void>;
}

const GRANT_JOB = z.object({ requestId: z.string().regex(/^jit_[0-9A-Z]{26}$/) });
const REMIND_JOB = GRANT_JOB.extend({ generation: z.number().int().min(0) });

/** A timer that fires a little early (clock skew between hosts) waits for the expiry instead of doing nothing. */
const EARLY_WAIT_LIMIT_MS = 5_000;

export function startWorkers(options: WorkerOptions): Workers {
  const { ports, logger, metrics } = options;
  const connections: Redis[] = [];

  const parse = <T>(schema: z.ZodType<T>, job: Job): T => {
    const parsed = schema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`job ${job.id} has malformed data: ${parsed.error.message}`);
    return parsed.data;
  };

  const advance = (queue: QueueName) => async (job: Job) => {
    const { requestId } = parse(GRANT_JOB, job);
    const before = await ports.store.getRequest(requestId);
    let waited = false;
    if (before?.status === 'ACTIVE' && before.expiresAt) {
      const early = before.expiresAt.getTime() - ports.clock.now().getTime();
      if (early > 0 && early <= EARLY_WAIT_LIMIT_MS) {
        await new Promise((resolve) => setTimeout(resolve, early));
        waited = true;
      }
      if (early <= EARLY_WAIT_LIMIT_MS) metrics.revocationLag.observe(Math.max(0, ports.clock.now().getTime() - before.expiresAt.getTime()) / 1000);
    }
    // The row just read is what advanceRequest would read again; after a wait it may be stale (an extension), so read.
    const outcome = await advanceRequest(requestId, ports, waited ? undefined : before);
    metrics.jobs.inc({ queue, outcome });
    return outcome;
  };

  // An escalation timer only ever concerns a PENDING request: escalateRequest locks the row and checks that itself,
  // so the reads advanceRequest does to choose what is due would be paid twice for nothing (the escalation bench).
  const escalate = async (job: Job) => {
    const { requestId } = parse(GRANT_JOB, job);
    const outcome = await escalateRequest(requestId, ports);
    metrics.jobs.inc({ queue: 'escalate', outcome });
    return outcome;
  };

  const remind = async (job: Job) => {
    const { requestId, generation } = parse(REMIND_JOB, job);
    const sent = await remindExpiry(requestId, generation, ports);
    metrics.jobs.inc({ queue: 'remind', outcome: sent ? 'sent' : 'nothing' });
    return sent;
  };

  const start = (queue: QueueName, processor: (job: Job) => Promise<unknown>) => {
    const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
    connection.on('error', () => undefined); // reconnects by itself; the worker's own 'error' event logs
    connections.push(connection);
    const worker = new Worker(queue, processor, { connection, prefix: options.prefix, concurrency: options.concurrency ?? 16 });
    worker.on('failed', (job, err) => {
      metrics.jobs.inc({ queue, outcome: 'error' });
      logger.error({ err, jobId: job?.id, queue }, 'job failed; it is retried, and the reconciler covers it after that');
    });
    worker.on('error', (err) => logger.warn({ err: err.message, queue }, 'worker: Redis error (reconnecting)'));
    return worker;
  };

  const workers = [start('grant', advance('grant')), start('revoke', advance('revoke')), start('remind', remind), start('escalate', escalate)];
  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      for (const c of connections) c.disconnect();
    },
  };
}
