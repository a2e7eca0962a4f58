/**
 * Daily reminders of break-glass reviews nobody has acknowledged (issue 7). Run by the reconciler's leader on each
 * sweep: a review is due when its last reminder — or, before the first, the break-glass itself — is 24 h old. The
 * rule lives in PostgreSQL (`reviewRemindedAt`), and each reminder is a conditional update under the row lock with
 * its audit event in the same transaction, so a restart, a second leader or a slow sweep never reminds twice in a
 * day, and an acknowledged review is never reminded again.
 */
import type { AccessRequest } from '../domain/request.ts';
import type { CorePorts } from './ports.ts';
import { currentReviewers } from './visibility.ts';

export const REVIEW_REMINDER_INTERVAL_MS = 24 * 3_600_000;

export interface RemindReviewsOptions {
  /** Reviews reminded per sweep; the rest wait for the next one. @defaultValue 100 */
  limit?: number;
}

/** Reminds the reviewers of every review due now; answers the request ids reminded. */
export async function remindReviews(ports: Pick<CorePorts, 'store' | 'policy' | 'clock' | 'notifier'>, options: RemindReviewsOptions = {}): Promise<string[]> {
  const now = ports.clock.now();
  const dueBefore = new Date(now.getTime() - REVIEW_REMINDER_INTERVAL_MS);
  const reminded: string[] = [];
  for (const due of await ports.store.listReviewsDue(dueBefore, options.limit ?? 100)) {
    const request = await remindOne(ports, due.id, now, dueBefore);
    if (request) reminded.push(request.id);
  }
  return reminded;
}

async function remindOne(ports: Pick<CorePorts, 'store' | 'policy' | 'clock' | 'notifier'>, id: string, now: Date, dueBefore: Date): Promise<AccessRequest | null> {
  const policy = ports.policy.current();
  const outcome = await ports.store.transaction(async (tx) => {
    const locked = await tx.lockRequest(id);
    if (!locked || !(await tx.markReviewReminded(id, now, dueBefore))) return null;
    const reviewerIds = currentReviewers(policy, locked, now);
    tx.appendAudit({
      actor: 'stint',
      action: 'breakglass.review_reminded',
      requestId: id,
      data: { breakGlass: true, reviewerIds, hoursWaiting: Math.floor((now.getTime() - locked.createdAt.getTime()) / 3_600_000) },
      at: now,
    });
    return { request: { ...locked, reviewRemindedAt: now }, reviewerIds };
  });
  if (!outcome) return null;
  await ports.notifier.notify({ kind: 'breakglass.review_reminder', request: outcome.request, reviewerIds: outcome.reviewerIds });
  return outcome.request;
}
