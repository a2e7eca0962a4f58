/** Builds correctly chained audit events in memory, for tests and bench/audit.ts. */
import { GENESIS_HASH, hashEvent } from '../../src/audit/chain.ts';
import type { AuditRecord } from '../../src/core/ports.ts';

const BASE_MS = Date.UTC(2025, 0, 1);

/** The n-th event's content: varied enough that each event hashes differently. */
export function sampleEvent(seq: bigint): Omit<AuditRecord, 'prevHash' | 'hash'> {
  const n = Number(seq);
  return {
    seq,
    at: new Date(BASE_MS + n * 1000),
    actor: `U${String(n % 97).padStart(8, '0')}`,
    action: n % 3 === 0 ? 'request.approved' : 'request.created',
    requestId: n % 10 === 0 ? null : `01JREQ${String(n).padStart(20, '0')}`,
    data: { scopes: ['aws:prod-admin'], durationSec: 3600, reason: `incident INC-${n}`, breakGlass: n % 1000 === 0 },
  };
}

/** `count` chained events, seq 1..count. */
export function makeChain(count: number): AuditRecord[] {
  const events: AuditRecord[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1n; seq <= BigInt(count); seq++) {
    const event = { ...sampleEvent(seq), prevHash };
    const hash = hashEvent(event);
    events.push({ ...event, hash });
    prevHash = hash;
  }
  return events;
}

/** An async stream over an array (`for…of` + `yield`: cheaper per item than `yield*` over a sync iterable). */
export async function* fromArray<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}
