/**
 * The BullMQ timer queues of DESIGN.md section 4 (`grant`, `revoke`, `remind`, `escalate`; `notify` is
 * jobs/notify-queue.ts) and their
 * deterministic job ids. BullMQ ids must not contain `:`. `removeOnComplete` / `removeOnFail` make a
 * re-enqueue a no-op while the job is pending and possible again once it ran (invariant 2).
 */
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';

export const QUEUE_NAMES = ['grant', 'revoke', 'remind', 'escalate'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Job data is ids only (DESIGN.md invariant 6). */
export interface GrantJob {
  requestId: string;
}
export interface RemindJob {
  requestId: string;
  generation: number;
}

export const jobIds = {
  grant: (requestId: string) => `grant-${requestId}`,
  revoke: (requestId: string, key: string) => `revoke-${requestId}-${key}`,
  remind: (requestId: string, generation: number) => `expiring-${requestId}-g${generation}`,
  escalate: (requestId: string, key: string) => `escalate-${requestId}-${key}`,
};

/**
 * Unexpected errors (the database blinked) get a few quick retries; anything longer is the reconciler's.
 * Provider failures do not throw out of a job: revokeGrant schedules its own retry with the backoff.
 */
export const JOB_OPTIONS: JobsOptions = {
  removeOnComplete: true,
  removeOnFail: true,
  attempts: 4,
  backoff: { type: 'exponential', delay: 1_000 },
};

export type StintQueues = Record<QueueName, Queue>;

/** `onError`: Redis trouble the queues see (reconnects are automatic); without it BullMQ prints to stderr. */
export function createQueues(connection: Redis, prefix: string, onError: (err: Error) => void = () => undefined): StintQueues {
  const make = (name: QueueName) => {
    const queue = new Queue(name, { connection, prefix, defaultJobOptions: JOB_OPTIONS });
    queue.on('error', onError);
    return queue;
  };
  return { grant: make('grant'), revoke: make('revoke'), remind: make('remind'), escalate: make('escalate') };
}

export async function closeQueues(queues: StintQueues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close().catch(() => undefined)));
}
