/**
 * `stint audit export --follow`: the export, then every new event as it is appended (polled every second), until
 * the signal ends it. With a signing key the head is anchored every N events and, when events came meanwhile,
 * every minute and once more at the end — so a SIEM holds a signed anchor never more than a minute old.
 */
import type { AuditRecord } from '../core/ports.ts';
import { signAnchor } from './anchors.ts';
import { exportAudit, formatAnchor, type AnchorOptions, type ExportFormat, type ExportOptions } from './export-events.ts';

export interface FollowOptions extends ExportOptions {
  anchors?: AnchorOptions;
  signal: AbortSignal;
  /** @defaultValue 1000 */
  pollMs?: number;
  /** @defaultValue 60 000 */
  anchorIntervalMs?: number;
}

export async function followAudit(
  read: (afterSeq: bigint) => AsyncIterable<AuditRecord>,
  after: bigint,
  format: ExportFormat,
  write: (line: string) => void | Promise<void>,
  options: FollowOptions,
): Promise<number> {
  const { signal, anchors } = options;
  const now = anchors?.now ?? (() => new Date());
  let total = 0;
  let head: { seq: bigint; hash: string } | null = null;
  let anchoredSeq: bigint | null = null;
  let lastAnchorAt = now().getTime();
  const anchorHead = async () => {
    if (!anchors || !head || head.seq === anchoredSeq) return;
    await write(formatAnchor(signAnchor(head, now(), anchors.key), format, options));
    anchoredSeq = head.seq;
    lastAnchorAt = now().getTime();
  };
  while (!signal.aborted) {
    const result = await exportAudit(read(after), format, write, { ...options, ...(anchors && { anchors: { ...anchors, atEnd: false } }) });
    total += result.count;
    if (result.lastSeq !== null) {
      after = result.lastSeq;
      head = { seq: result.lastSeq, hash: result.lastHash! };
    }
    if (now().getTime() - lastAnchorAt >= (options.anchorIntervalMs ?? 60_000)) await anchorHead();
    await sleep(options.pollMs ?? 1000, signal);
  }
  await anchorHead();
  return total;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
