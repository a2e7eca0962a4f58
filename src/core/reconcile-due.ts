/**
 * One sweep of the reconciler (invariant 1): PostgreSQL's nextActionAt is the real schedule, so every request
 * whose next action is due is acted on directly — APPROVED ones activated, expired ACTIVE ones revoked,
 * REVOKING ones retried with backoff — whatever happened to timers, workers or Redis in between.
 */
import { isStintError } from '../domain/errors.ts';
import { activateGrant } from './activate-grant.ts';
import type { GrantPorts } from './ports.ts';
import { revokeGrant } from './revoke-grant.ts';

/** Retry delay after the n-th failed revoke: 5 s doubling, about 10 minutes of attempts, then every 5 minutes. */
export function revokeRetryDelayMs(attempt: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, attempt - 1), 300_000);
}

export interface SweepResult {
  activated: string[];
  revoked: string[];
  failed: string[];
}

export async function reconcileDue(ports: GrantPorts, options: { limit?: number } = {}): Promise<SweepResult> {
  const result: SweepResult = { activated: [], revoked: [], failed: [] };
  const due = await ports.store.listDueRequests(ports.clock.now(), options.limit ?? 500);
  for (const request of due) {
    try {
      if (request.status === 'APPROVED') {
        const outcome = await activateGrant(request.id, ports);
        if (outcome.status === 'ACTIVE') result.activated.push(request.id);
        else if (outcome.status === 'GRANT_FAILED') result.failed.push(request.id);
      } else {
        const revoked = await revokeGrant(request.id, request.revokeCause ?? 'expired', 'stint', ports);
        if (revoked.status === 'REVOKED') result.revoked.push(request.id);
      }
    } catch (err) {
      if (!isStintError(err)) throw err;
      result.failed.push(request.id);
      // Still REVOKING: push the next attempt out by the backoff, so one broken target does not spin the sweep.
      const attempts = Math.max(1, ...(await ports.store.listGrantHandles(request.id)).map((h) => h.attempts));
      const next = new Date(ports.clock.now().getTime() + revokeRetryDelayMs(attempts));
      await ports.store.transaction((tx) => tx.transition(request.id, 'REVOKING', 'REVOKING', { nextActionAt: next }));
    }
  }
  return result;
}
