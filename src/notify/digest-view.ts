/**
 * The approver's daily digest as one platform-neutral view (like request-view.ts for cards): a title, one entry
 * per waiting request (oldest first) and how many did not fit. Slack renders it as Block Kit, Teams as an
 * Adaptive Card. Text is plain: each renderer escapes it.
 */
import type { DigestItem } from '../core/ports.ts';
import { formatDuration } from '../domain/duration.ts';
import type { Policy } from '../policy/model.ts';
import { requesterLabel } from './request-view.ts';

export interface DigestEntry {
  requestId: string;
  /** `prod-orders-db for Alice (alice@example.com)` */
  summary: string;
  reason: string;
  /** `waiting 3h 20m · 1/2 approvals · risk 35/100 · escalated (step 1)` */
  status: string;
  /** Seconds it has waited (renderers may highlight the old ones). */
  waitingSec: number;
}

export interface DigestView {
  title: string;
  entries: DigestEntry[];
  /** Requests waiting beyond those listed (see them with `pending`). */
  more: number;
}

export function buildDigest(items: DigestItem[], policy: Policy, now: Date, max: number): DigestView {
  const n = items.length;
  const entries = items.slice(0, max).map(({ request, approvals }): DigestEntry => {
    // Whole minutes: a digest says "3h 20m", not "3h 20m 7s".
    const waitingSec = Math.max(60, Math.floor((now.getTime() - request.createdAt.getTime()) / 60_000) * 60);
    const parts = [
      `waiting ${formatDuration(waitingSec)}`,
      `${approvals}/${request.required} approval${request.required === 1 ? '' : 's'}`,
      `risk ${request.riskScore}/100`,
      ...(request.escalationLevel > 0 ? [`escalated (step ${request.escalationLevel})`] : []),
    ];
    return {
      requestId: request.id,
      summary: `${request.scopes.join(', ')} for ${requesterLabel(policy, request.requesterId)}`,
      reason: request.reason,
      status: parts.join(' · '),
      waitingSec,
    };
  });
  return { title: `${n} request${n === 1 ? '' : 's'} waiting for your decision`, entries, more: Math.max(0, n - entries.length) };
}
