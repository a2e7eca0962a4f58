/**
 * The audit hash chain (DESIGN.md section 8): hash = sha256(prevHash ‖ JCS(event)), where the hashed event is
 * `{seq, at (epoch ms), actor, action, requestId, data, prevHash}` in RFC 8785 canonical JSON.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export const GENESIS_HASH = '0'.repeat(64);

export interface ChainedFields {
  seq: bigint;
  at: Date;
  actor: string;
  action: string;
  requestId: string | null;
  data: Record<string, unknown>;
  prevHash: string;
}

export function canonicalEvent(event: ChainedFields): string {
  const text = canonicalize({
    seq: Number(event.seq),
    at: event.at.getTime(),
    actor: event.actor,
    action: event.action,
    requestId: event.requestId,
    data: event.data,
    prevHash: event.prevHash,
  });
  if (text === undefined) throw new Error('audit event cannot be canonicalised');
  return text;
}

export function hashEvent(event: ChainedFields): string {
  return createHash('sha256').update(event.prevHash).update(canonicalEvent(event)).digest('hex');
}
