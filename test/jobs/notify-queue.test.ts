/** The notify queue without Redis: jobs run in this process, one request's jobs in order; job ids are BullMQ-safe. */
import { describe, expect, it } from 'vitest';
import { NotifyQueue, notifyJobId } from '../../src/jobs/notify-queue.ts';
import { createLogger } from '../../src/logger.ts';
import type { NotifyJob } from '../../src/notify/notify-outbox.ts';

const ID = 'jit_01JD0000000000000000000000';

describe('NotifyQueue without Redis', () => {
  it('runs a job in this process, in the background, with the registered delivery', async () => {
    const queue = new NotifyQueue(createLogger('silent'));
    const seen: NotifyJob[] = [];
    queue.register('slack', async (job) => {
      seen.push(job);
    });
    await queue.dispatch('slack', { requestId: ID, event: 'request.pending' }, 'pending');
    await queue.idle();
    expect(seen).toEqual([{ requestId: ID, event: 'request.pending' }]);
  });

  it('runs the jobs of one request one at a time, in order', async () => {
    const queue = new NotifyQueue(createLogger('silent'));
    const log: string[] = [];
    queue.register('slack', async (job) => {
      log.push(`start ${job.event}`);
      await new Promise((r) => setTimeout(r, job.event === 'request.pending' ? 50 : 0));
      log.push(`end ${job.event}`);
    });
    await queue.dispatch('slack', { requestId: ID, event: 'request.pending' }, 'pending');
    await queue.dispatch('slack', { requestId: ID, event: 'request.decided' }, 'decided');
    await queue.idle();
    expect(log).toEqual(['start request.pending', 'end request.pending', 'start request.decided', 'end request.decided']);
  });

  it('keeps going after a delivery fails for good', async () => {
    const queue = new NotifyQueue(createLogger('silent'));
    let calls = 0;
    queue.register('slack', async (job) => {
      calls++;
      if (job.event === 'grant.failed') throw new Error('nope');
    });
    await queue.dispatch('slack', { requestId: ID, event: 'grant.failed' }, 'failed');
    await queue.dispatch('slack', { requestId: ID, event: 'sync' }, 'sync');
    await queue.idle();
    expect(calls).toBe(4); // three tries of the failing job, then the next one
  }, 10_000);

  it('ignores a platform nobody registered', async () => {
    const queue = new NotifyQueue(createLogger('silent'));
    await expect(queue.dispatch('teams', { requestId: ID, event: 'sync' }, 'sync')).resolves.toBeUndefined();
    await queue.idle();
  });
});

describe('notifyJobId', () => {
  it('makes ids without colons', () => {
    expect(notifyJobId('slack', ID, 'decided-APPROVED-policy:dev-auto')).toBe(`notify-slack-${ID}-decided-APPROVED-policy_dev-auto`);
  });
});
