/**
 * Walks the audit chain (DESIGN.md section 8) and names the first broken seq: each event's prevHash must be
 * the previous event's hash (GENESIS_HASH for the first) and its hash must recompute from its content.
 * Seq gaps are not breaks: a rolled-back append consumes a sequence value without writing an event.
 */
import type { AuditRecord } from '../core/ports.ts';
import { GENESIS_HASH, hashEvent } from './chain.ts';

export type VerifyResult =
  | { ok: true; count: number; headSeq: bigint | null; headHash: string }
  | { ok: false; count: number; brokenSeq: bigint; reason: string };

/** Called every PROGRESS_EVERY verified events with the number verified so far and the last seq. */
export type VerifyProgress = (count: number, lastSeq: bigint) => void;

export const PROGRESS_EVERY = 10_000;

export const HASH_MISMATCH = 'hash mismatch: event content was changed';

export function brokenLinkReason(previousSeq: bigint | null): string {
  const target = previousSeq === null ? 'genesis' : `seq ${previousSeq}`;
  return `prevHash does not link to ${target}: an event was removed or reordered`;
}

/**
 * `count` is the number of events that verified (on failure: those before `brokenSeq`). The link is checked
 * before the hash so that a missing or moved event is reported as such rather than as edited content.
 */
export async function verifyChain(
  events: AsyncIterable<AuditRecord>,
  onProgress?: VerifyProgress,
): Promise<VerifyResult> {
  let count = 0;
  let headSeq: bigint | null = null;
  let headHash = GENESIS_HASH;
  for await (const event of events) {
    if (event.prevHash !== headHash) {
      return { ok: false, count, brokenSeq: event.seq, reason: brokenLinkReason(headSeq) };
    }
    if (hashEvent(event) !== event.hash) {
      return { ok: false, count, brokenSeq: event.seq, reason: HASH_MISMATCH };
    }
    count++;
    headSeq = event.seq;
    headHash = event.hash;
    if (onProgress !== undefined && count % PROGRESS_EVERY === 0) onProgress(count, headSeq);
  }
  return { ok: true, count, headSeq, headHash };
}
