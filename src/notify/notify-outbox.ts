/**
 * How chat notifiers send (DESIGN.md section 4, queue `notify`): a notification becomes a job of ids only
 * (`{ requestId, event }`), handed to an outbox. The outbox puts it on the BullMQ `notify` queue when one is
 * connected (jobs/notify-queue.ts) or runs it in this process at once; both run the platform's own `deliver`,
 * which reads the current state from the store — so a late or repeated job can never show an old state.
 */
import type { Notification } from '../core/ports.ts';

/** Notification kinds about a request, and `sync`: refresh every copy of its card (a refused click). */
export type NotifyEvent = Exclude<Notification['kind'], 'policy.reload_failed' | 'guardrail.tripped'> | 'sync';

export const NOTIFY_EVENTS = [
  'request.pending',
  'request.decided',
  'request.cancelled',
  'request.escalated',
  'request.reminder',
  'request.timed_out',
  'breakglass.used',
  'breakglass.reviewed',
  'breakglass.review_reminder',
  'grant.activated',
  'grant.failed',
  'grant.revoked',
  'grant.extended',
  'grant.drift',
  'grant.expiring',
  'grant.revoke_failed',
  'sync',
] as const satisfies readonly NotifyEvent[];

export interface NotifyJob {
  requestId: string;
  event: NotifyEvent;
  /** request.decided: who decided (the card itself is read from the store). */
  actorId?: string;
  /** request.escalated: the step reached (1-based). */
  level?: number;
  /** grant.revoke_failed: which attempt failed. */
  attempt?: number;
  /** grant.drift: which scope, what the provider said, and whether the re-revoke worked. */
  resourceId?: string;
  found?: 'present' | 'absent';
  fixed?: boolean;
}

export type NotifyDelivery = (job: NotifyJob) => Promise<void>;

export interface NotifyOutbox {
  /** How one platform (`slack`, later `teams`) delivers its jobs; the queue's worker and the inline path both call it. */
  register(platform: string, deliver: NotifyDelivery): void;
  /**
   * Queues the job, or runs it in this process when no queue is connected (or Redis does not answer). `key`
   * makes the job id: a job with the same key still waiting is not queued twice. Never throws.
   */
  dispatch(platform: string, job: NotifyJob, key: string): Promise<void>;
}

/** The job and its de-duplication key for a notification; null for what is not about one request. */
export function notifyJobOf(n: Notification): { job: NotifyJob; key: string } | null {
  if (n.kind === 'policy.reload_failed' || n.kind === 'guardrail.tripped') return null;
  const requestId = n.request.id;
  const job: NotifyJob = { requestId, event: n.kind };
  switch (n.kind) {
    case 'request.pending':
      return { job, key: 'pending' };
    case 'request.decided':
      return { job: { ...job, actorId: n.actorId }, key: `decided-${n.request.status}-${n.actorId}` };
    case 'request.cancelled':
      return { job, key: 'cancelled' };
    case 'request.escalated':
      return { job: { ...job, level: n.level }, key: `escalated-l${n.level}` };
    case 'request.reminder':
      return { job, key: `reminder-l${n.request.escalationLevel}` };
    case 'request.timed_out':
      return { job, key: 'timed-out' };
    case 'breakglass.used':
      return { job, key: 'breakglass' };
    case 'breakglass.reviewed':
      return { job: { ...job, actorId: n.actorId }, key: 'reviewed' };
    case 'breakglass.review_reminder':
      // One per reminder: the reconciler records each (reviewRemindedAt), so the key is that day's.
      return { job, key: `review-reminder-${(n.request.reviewRemindedAt ?? n.request.createdAt).getTime()}` };
    case 'grant.activated':
    case 'grant.extended':
    case 'grant.expiring':
      return { job, key: `${n.kind.slice('grant.'.length)}-g${n.request.generation}` };
    case 'grant.failed':
    case 'grant.revoked':
      return { job, key: n.kind.slice('grant.'.length) };
    case 'grant.revoke_failed':
      return { job: { ...job, attempt: n.attempt }, key: `revoke-failed-a${n.attempt}` };
    case 'grant.drift':
      return { job: { ...job, resourceId: n.resourceId, found: n.found, fixed: n.fixed }, key: `drift-${n.resourceId}-${n.found}-${n.fixed ? 'fixed' : 'open'}` };
  }
}
