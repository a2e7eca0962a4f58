/**
 * The soak's once-a-second sampler, from the outside of Stint:
 * - RSS of every Stint process (VmRSS in /proc/<pid>/status), kept as a series per process;
 * - every 10 seconds, the V8 heap in use of each (`stint_nodejs_heap_size_used_bytes` from its `/metrics`): what
 *   the process holds, which RSS (V8 lets the heap grow before collecting) does not tell apart from garbage. Not
 *   more often: a scrape costs each process a little CPU, and at the soak's rate two cores have little to spare
 *   (scraping every 2 s brought the serve's first time-outs forward by about 90 s);
 * - the invariant watch (like test/support/fault-rig.ts `watch`, for many roles): the memberships on the target
 *   (pg_auth_members) first, then the request rows; a membership no request justifies — every request of that
 *   person+resource pair ended before the memberships were read, or is past expiresAt + 20 s — is a grant past
 *   expiry, or "REVOKED while still a member" when the pair's latest request says REVOKED;
 * - Redis INFO `total_commands_processed` (summed across the restart, which resets it);
 * - sessions of the Stint database that are active and that wait for a lock (pg_stat_activity): where writers
 *   queue (e.g. behind the audit chain's head row) shows here;
 * and hands the rows to the load generator, which acts on them.
 */
import { readFileSync } from 'node:fs';
import type { LoadGenerator, ObservedRow } from './load-generator.ts';
import { rowWindowMs, type SoakConfig } from './soak-config.ts';
import type { SoakStack } from './soak-stack.ts';

export interface RssSample {
  process: string;
  verb: string;
  /** Seconds since the watch started. */
  t: number;
  mb: number;
}

export interface Violation {
  kind: 'outlived-expiry' | 'revoked-while-granted';
  /** The request, or `<account>/<role>` when no request of the pair was found. */
  key: string;
  detail: string;
}

export interface StatusCounts {
  [status: string]: number;
}

export interface SoakWatch {
  rss: RssSample[];
  /** The V8 heap in use per process, same shape as `rss` (`mb` is heap used). */
  heap: RssSample[];
  /** First violation per request (or pair). */
  violations: Map<string, Violation>;
  samples: number;
  failedSamples: number;
  redisCommands(): number;
  /** Status counts of the rows read last (the window of recent and open requests). */
  lastCounts(): StatusCounts;
  memberships(): number;
  /**
   * Per sample: Stint-database sessions running a statement, and those of them waiting for a lock; summed over
   * the samples, which lock they waited for (`transactionid`: a row another transaction holds, e.g. the audit head).
   */
  sessions: { active: number[]; lockWaiting: number[]; lockWaitsByEvent: Record<string, number> };
  stop(): Promise<void>;
}

interface Row extends ObservedRow {
  createdAt: Date;
  revokedAt: Date | null;
}

const NEVER_GRANTED = new Set(['PENDING', 'DENIED', 'CANCELLED', 'TIMED_OUT', 'GRANT_FAILED']);
const OPEN = ['PENDING', 'APPROVED', 'ACTIVE', 'REVOKING'];

const HEAP_EVERY_S = 10;

export function rssMb(pid: number): number | undefined {
  try {
    const found = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return found ? Number(found[1]) / 1024 : undefined;
  } catch {
    return undefined; // the process just exited (a killed worker)
  }
}

export function startSoakWatch(stack: SoakStack, config: SoakConfig, generator: LoadGenerator | undefined): SoakWatch {
  const started = performance.now();
  const rss: RssSample[] = [];
  const heap: RssSample[] = [];
  const violations = new Map<string, Violation>();
  const pairOf = new Map<string, string>(); // `<account>/<role>` → `<personId>/<resourceId>`
  for (const p of stack.people) for (const r of stack.resources) pairOf.set(`${p.account}/${r.role}`, `${p.id}/${r.id}`);
  const roles = stack.resources.map((r) => r.role);
  let samples = 0;
  let ticks = 0;
  let failedSamples = 0;
  let counts: StatusCounts = {};
  let held = 0;
  let redisTotal = 0;
  let redisLast: number | null = null;
  let stopped = false;
  const sessions = { active: [] as number[], lockWaiting: [] as number[], lockWaitsByEvent: {} as Record<string, number> };

  const sampleSessions = async () => {
    const { rows } = await stack.stintPool.query<{ state: string | null; event: string | null; n: string }>(
      // The event and the first words of the waiting statement name the hot row (e.g. `UPDATE "AuditHead"`).
      `SELECT state, CASE WHEN wait_event_type = 'Lock' THEN wait_event || ' ' || left(regexp_replace(query, '\\s+', ' ', 'g'), 40) END AS event, count(*) AS n
         FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'stint-%' GROUP BY 1, 2`,
      [stack.stintDb.name],
    );
    let active = 0;
    let waiting = 0;
    for (const r of rows) {
      if (r.state !== 'active') continue;
      active += Number(r.n);
      if (r.event === null) continue;
      waiting += Number(r.n);
      sessions.lockWaitsByEvent[r.event] = (sessions.lockWaitsByEvent[r.event] ?? 0) + Number(r.n);
    }
    sessions.active.push(active);
    sessions.lockWaiting.push(waiting);
  };

  const sampleRss = () => {
    const t = (performance.now() - started) / 1000;
    for (const proc of [stack.serve, ...stack.workers]) {
      const mb = rssMb(proc.pid);
      if (mb !== undefined && proc.running()) rss.push({ process: proc.name, verb: proc.verb, t, mb });
    }
  };

  const sampleHeap = async () => {
    const t = (performance.now() - started) / 1000;
    await Promise.all(
      [stack.serve, ...stack.workers].map(async (proc) => {
        try {
          const text = await (await fetch(stack.metricsUrl(proc), { signal: AbortSignal.timeout(900) })).text();
          const used = /^stint_nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
          if (used && proc.running()) heap.push({ process: proc.name, verb: proc.verb, t, mb: Number(used[1]) / 1024 / 1024 });
        } catch {
          // A worker being killed or started, or a scrape slower than the tick: the next one counts.
        }
      }),
    );
  };

  const sampleRedis = async () => {
    const now = await stack.redis.commandsProcessed();
    if (now === null) return;
    // After a restart the counter starts again from 0: everything it shows is new.
    redisTotal += redisLast === null ? 0 : now >= redisLast ? now - redisLast : now;
    redisLast = now;
  };

  const sampleInvariants = async () => {
    const readAt = Date.now();
    const members = await stack.targetPool.query<{ account: string; role: string }>(
      `SELECT u.rolname AS account, r.rolname AS role FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
         JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = ANY($1)`,
      [roles],
    );
    const since = new Date(readAt - rowWindowMs(config));
    const rows = (
      await stack.stintPool.query<Row>(
        `SELECT "id", "status", "requesterId", "scopes"[1] AS "resource", "ticket", "createdAt", "activatedAt", "expiresAt", "revokedAt"
           FROM "Request" WHERE "createdAt" > $1 OR "status" = ANY($2)`,
        [since, OPEN],
      )
    ).rows;
    const byPair = new Map<string, Row[]>();
    const nextCounts: StatusCounts = {};
    for (const row of rows) {
      const key = `${row.requesterId}/${row.resource}`;
      byPair.set(key, [...(byPair.get(key) ?? []), row]);
      nextCounts[row.status] = (nextCounts[row.status] ?? 0) + 1;
    }
    counts = nextCounts;
    held = members.rows.length;
    for (const m of members.rows) {
      const pair = pairOf.get(`${m.account}/${m.role}`) ?? `${m.account}/${m.role}`;
      // A request created a moment after the read may already hold its grant when the memberships are seen.
      const candidates = (byPair.get(pair) ?? []).filter((r) => r.createdAt.getTime() <= readAt + 1_000);
      const justified = candidates.some(
        (r) =>
          !NEVER_GRANTED.has(r.status) &&
          !(r.revokedAt && r.revokedAt.getTime() < readAt) &&
          !(r.expiresAt && readAt > r.expiresAt.getTime() + config.expiryBoundMs),
      );
      if (justified) continue;
      const latest = candidates.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0];
      const key = latest?.id ?? `${m.account}/${m.role}`;
      if (violations.has(key)) continue;
      const revoked = latest?.status === 'REVOKED' && latest.revokedAt !== null && latest.revokedAt.getTime() < readAt;
      const late = latest?.expiresAt ? `${readAt - latest.expiresAt.getTime()} ms after expiresAt` : 'no request';
      violations.set(key, {
        kind: revoked ? 'revoked-while-granted' : 'outlived-expiry',
        key,
        detail: `${m.account} holds ${m.role} at ${new Date(readAt).toISOString()}, ${late} (status ${latest?.status ?? '-'})`,
      });
    }
    generator?.observe(rows, Date.now());
  };

  const loop = (async () => {
    while (!stopped) {
      const tickStart = performance.now();
      sampleRss();
      if (ticks++ % HEAP_EVERY_S === 0) void sampleHeap();
      try {
        await Promise.all([sampleInvariants(), sampleRedis(), sampleSessions()]);
        samples++;
      } catch {
        failedSamples++; // retried at the next second
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (performance.now() - tickStart))));
    }
  })();

  return {
    rss,
    heap,
    violations,
    get samples() {
      return samples;
    },
    get failedSamples() {
      return failedSamples;
    },
    redisCommands: () => redisTotal,
    lastCounts: () => counts,
    memberships: () => held,
    sessions,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
