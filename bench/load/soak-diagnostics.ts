/**
 * What a failed soak needs to be understood, gathered before the stack is torn down: for a few requests that
 * broke an invariant or were left open, their row and audit trail (action, time, actor); and the workers' own
 * account of the same minutes (leader changes, reconciler sweeps, warnings), with times.
 */
import type { SoakStack } from './soak-stack.ts';

export async function timelines(stack: SoakStack, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const lines: string[] = [];
  const rows = await stack.stintPool.query<{ id: string; status: string; createdAt: Date; activatedAt: Date | null; expiresAt: Date | null; revokedAt: Date | null; revokeCause: string | null }>(
    'SELECT "id", "status", "createdAt", "activatedAt", "expiresAt", "revokedAt", "revokeCause" FROM "Request" WHERE "id" = ANY($1) ORDER BY "id"',
    [ids],
  );
  const events = await stack.stintPool.query<{ requestId: string; action: string; at: Date; actor: string; data: unknown }>(
    'SELECT "requestId", "action", "at", "actor", "data" FROM "AuditEvent" WHERE "requestId" = ANY($1) ORDER BY "seq"',
    [ids],
  );
  for (const r of rows.rows) {
    const iso = (d: Date | null) => d?.toISOString().slice(11, 23) ?? '-';
    lines.push(`${r.id} ${r.status} created=${iso(r.createdAt)} activated=${iso(r.activatedAt)} expires=${iso(r.expiresAt)} revoked=${iso(r.revokedAt)} cause=${r.revokeCause ?? '-'}`);
    for (const e of events.rows.filter((x) => x.requestId === r.id)) lines.push(`    ${e.at.toISOString().slice(11, 23)} ${e.action} by ${e.actor} ${JSON.stringify(e.data).slice(0, 160)}`);
  }
  return lines;
}

/**
 * The workers' lines about the reconciler (leader, sweeps) and every warning, oldest first; the flood of
 * "Redis error (reconnecting)" while Redis is down is counted per worker instead.
 */
export function workerStory(stack: SoakStack, limit = 80): string[] {
  const lines: Array<{ time: number; text: string }> = [];
  for (const proc of [...stack.retired, ...stack.workers]) {
    let reconnecting = 0;
    for (const l of proc.logs()) {
      const msg = String(l.msg ?? '');
      if (/Redis error \(reconnecting\)/.test(msg) && reconnecting++ > 0) continue;
      if ((l.level ?? 0) < 40 && !/reconciler|leader|shutting/.test(msg)) continue;
      const time = Number(l.time ?? 0);
      lines.push({ time, text: `${new Date(time).toISOString().slice(11, 23)} ${proc.name} ${msg} ${JSON.stringify({ ...l, msg: undefined, time: undefined, pid: undefined, hostname: undefined, level: undefined }).slice(0, 240)}` });
    }
  }
  return lines.sort((a, b) => a.time - b.time).slice(-limit).map((l) => l.text);
}
