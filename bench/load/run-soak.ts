/**
 * The soak (issue 11, "Load and soak"), one function for the bench (bench/soak.ts, full length) and the test
 * (test/e2e/soak.test.ts, short): start the stack (soak-stack.ts), sample every second (soak-watch.ts), drive the
 * mixed load (load-generator.ts) for `config.seconds` while SIGKILLing a worker every `killEverySec` (a new one
 * starts at once) and restarting Redis once; then stop creating, wait until every grant has ended, and check
 * the invariants from the outside: memberships past expiresAt + 20 s, requests not terminal, the audit chain
 * (`GET /api/v1/audit/verify` on the running serve), errors. Returns the figures and what a failure needs to
 * be understood. `measure` runs on the same stack afterwards (the scaling phase). Everything is cleaned up.
 */
import type { SoakConfig } from './soak-config.ts';
import { heapFigures, mean, percentile, round, rssFigures } from './soak-figures.ts';
import { LoadGenerator } from './load-generator.ts';
import { timelines, workerStory } from './soak-diagnostics.ts';
import { startSoakStack, type SoakStack } from './soak-stack.ts';
import { startSoakWatch, type SoakWatch, type Violation } from './soak-watch.ts';

export interface SoakResult {
  figures: Record<string, number>;
  violations: Violation[];
  errorSamples: string[];
  errorsByKind: Record<string, number>;
  stuck: Array<{ id: string; status: string; expiresAt: string | null }>;
  auditReason: string | null;
  /** Warnings and errors Stint logged (level ≥ 50 = error), the last few of each process. */
  stintErrors: string[];
  /** When something broke: the audit trail of a few of the requests concerned and the workers' own story. */
  diagnostics: string[];
  /** Which locks Stint's sessions waited for, summed over the samples. */
  lockWaitsByEvent: Record<string, number>;
}

const OPEN = ['PENDING', 'APPROVED', 'ACTIVE', 'REVOKING'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RunSoakOptions {
  log?: (line: string) => void;
  /** Runs on the same stack after the checks (the scaling phase); its figures join the soak's. */
  after?: (stack: SoakStack) => Promise<Record<string, number>>;
  /**
   * Epoch ms by which the drain gives up (what is open then counts as stuck), so a caller with a hard timeout
   * (the test) still gets its figures and a clean-up on a starved machine.
   */
  deadlineAt?: number;
}

export async function runSoak(config: SoakConfig, options: RunSoakOptions = {}): Promise<SoakResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const setupStarted = Date.now();
  const stack = await startSoakStack({ people: config.people, autoResources: config.autoResources, approvalResources: config.approvalResources, workers: config.workers });
  try {
    log(`soak: stack up in ${((Date.now() - setupStarted) / 1000).toFixed(1)} s — ${config.people} people, ${stack.resources.length} resources, ${config.workers} workers, ${config.rate}/s for ${config.seconds} s`);
    const generator = new LoadGenerator(stack, config);
    const watch = startSoakWatch(stack, config, generator);
    const loadStart = performance.now();
    const elapsed = () => (performance.now() - loadStart) / 1000;
    const commitsBefore = await commits(stack);
    const redisBefore = watch.redisCommands();
    generator.start();

    const faults = { killed: 0, redisRestarts: 0, killMs: [] as number[] };
    const faultLoop = runFaults(stack, config, elapsed, faults, log);
    let nextProgress = config.progressEverySec;
    while (elapsed() < config.seconds) {
      await sleep(Math.min(1000, (config.seconds - elapsed()) * 1000));
      if (elapsed() >= nextProgress) {
        log(progressLine('load', elapsed(), generator, watch));
        nextProgress += config.progressEverySec;
      }
    }
    generator.stopCreating();
    const loadSeconds = elapsed();
    await faultLoop;
    const commitsAfter = await commits(stack);
    const redisCommands = watch.redisCommands() - redisBefore;
    const redisMemoryMb = (await stack.redis.usedMemoryMb()) ?? 0;
    log(progressLine('load done', loadSeconds, generator, watch));

    // Drain: no new requests; approvals, extensions and dones still play out; wait until every grant ended.
    const drainStart = performance.now();
    let lastDrainLog = 0;
    const drainUntil = Math.min(Date.now() + config.drainTimeoutMs, options.deadlineAt ?? Infinity);
    while (Date.now() < drainUntil) {
      const open = await countOpen(stack);
      if (open === 0 && generator.open === 0 && watch.memberships() === 0) break;
      if (performance.now() - lastDrainLog > config.progressEverySec * 1000) {
        lastDrainLog = performance.now();
        log(`${progressLine('drain', elapsed(), generator, watch)} openRows=${open}`);
      }
      await sleep(1000);
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;
    const settled = generator.settle();
    await (options.deadlineAt === undefined ? settled : Promise.race([settled, sleep(Math.max(2_000, options.deadlineAt - Date.now()))]));
    await sleep(1500); // one more watch sample after the last change
    await watch.stop();
    log(progressLine('drained', elapsed(), generator, watch));

    const end = await finalChecks(stack);
    const s = generator.stats;
    const rss = rssFigures(watch.rss, 0, loadSeconds, config.workers);
    const violations = [...watch.violations.values()];
    const pastExpiry = new Set(violations.filter((v) => v.kind === 'outlived-expiry').map((v) => v.key));
    for (const key of end.leftMembers) pastExpiry.add(key);
    const figures: Record<string, number> = {
      seconds: round(loadSeconds),
      ratePerSec: config.rate,
      workers: config.workers,
      requestsCreated: s.created,
      createdBySlack: s.createdSlack,
      createdByRest: s.createdRest,
      approved: s.approved,
      denied: s.denied,
      extended: s.extended,
      endedEarly: s.done,
      skippedNoFreePair: s.skippedNoFreePair,
      skippedLateAction: s.skippedLateAction,
      busyRetries: s.busyRetries,
      workersKilled: faults.killed,
      workerRestartMs: round(Math.max(0, ...faults.killMs), 0),
      redisRestarts: faults.redisRestarts,
      ackP50Ms: round(percentile(s.slackAckMs, 50)),
      ackP99Ms: round(percentile(s.slackAckMs, 99)),
      ackMaxMs: round(percentile(s.slackAckMs, 100)),
      slackAnswerP99Ms: round(percentile(s.slackAnswerMs, 99)),
      restCreateP50Ms: round(percentile(s.restCreateMs, 50)),
      restCreateP99Ms: round(percentile(s.restCreateMs, 99)),
      restActionP99Ms: round(percentile(s.restActionMs, 99)),
      revocationLagP50Ms: end.lagP50,
      revocationLagP99Ms: end.lagP99,
      revocationLagMaxMs: end.lagMax,
      revokingStartLagP99Ms: end.startLagP99,
      expiredRevocations: end.lagCount,
      errors: s.errors,
      grantsPastExpiry: pastExpiry.size,
      revokedWhileGranted: violations.filter((v) => v.kind === 'revoked-while-granted').length,
      stuckRequests: end.stuck.length,
      grantFailed: end.grantFailed,
      auditChainOk: end.auditOk ? 1 : 0,
      auditEvents: end.auditEvents,
      ...rss,
      ...heapFigures(watch.heap, 0, loadSeconds),
      pgCommitsPerSec: round((commitsAfter.stint - commitsBefore.stint) / loadSeconds),
      targetCommitsPerSec: round((commitsAfter.target - commitsBefore.target) / loadSeconds),
      redisCommandsPerSec: round(redisCommands / loadSeconds),
      redisUsedMemoryMb: round(redisMemoryMb),
      drainSeconds: round(drainSeconds),
      pgActiveSessionsAvg: round(mean(watch.sessions.active)),
      pgLockWaitersAvg: round(mean(watch.sessions.lockWaiting)),
      pgLockWaitersMax: Math.max(0, ...watch.sessions.lockWaiting),
      watchSamples: watch.samples,
      watchFailedSamples: watch.failedSamples,
      slackCalls: [...stack.slack.callsByMethod.values()].reduce((a, b) => a + b, 0),
      slackRefused: stack.slack.refused.length,
    };
    const stintErrors = stintErrorLines(stack);
    figures.stintErrorLogs = stintErrors.count;
    const suspects = [...violations.map((v) => v.key), ...end.stuck.map((r) => r.id)].filter((k) => k.startsWith('jit_')).slice(0, 6);
    const diagnostics = suspects.length > 0 || end.leftMembers.length > 0 ? [...(await timelines(stack, suspects)), ...workerStory(stack)] : [];
    const extra = options.after ? await options.after(stack) : {};
    return {
      figures: { ...figures, ...extra },
      violations,
      errorSamples: [...s.errorSamples, ...stack.slack.refused.slice(0, 10).map((r) => `slack refused ${r}`)],
      errorsByKind: s.errorsByKind,
      stuck: end.stuck,
      auditReason: end.auditReason,
      stintErrors: stintErrors.lines,
      diagnostics,
      lockWaitsByEvent: watch.sessions.lockWaitsByEvent,
    };
  } finally {
    await stack.close();
  }
}

/** Worker kills every `killEverySec` and the one Redis restart, on their own clocks (a slow worker start-up delays neither). */
async function runFaults(stack: SoakStack, config: SoakConfig, elapsed: () => number, faults: { killed: number; redisRestarts: number; killMs: number[] }, log: (line: string) => void): Promise<void> {
  const kills = async () => {
    if (config.killEverySec <= 0) return;
    for (let at = config.firstKillSec; at < config.seconds; at += config.killEverySec) {
      await sleep(Math.max(0, (at - elapsed()) * 1000));
      const started = performance.now();
      const { killed, started: replacement } = await stack.killWorker();
      faults.killed++;
      faults.killMs.push(performance.now() - started);
      log(`soak t=${Math.round(elapsed())}s: SIGKILLed ${killed}, ${replacement} up after ${Math.round(performance.now() - started)} ms`);
    }
  };
  const redis = async () => {
    if (config.redisRestartAtSec <= 0 || config.redisRestartAtSec >= config.seconds) return;
    await sleep(Math.max(0, (config.redisRestartAtSec - elapsed()) * 1000));
    log(`soak t=${Math.round(elapsed())}s: stopping Redis for ${config.redisDownMs} ms`);
    await stack.redis.stop();
    await sleep(config.redisDownMs);
    await stack.redis.start();
    faults.redisRestarts++;
    log(`soak t=${Math.round(elapsed())}s: Redis is back`);
  };
  await Promise.all([kills(), redis()]);
}

function progressLine(phase: string, seconds: number, generator: LoadGenerator, watch: SoakWatch): string {
  const s = generator.stats;
  const c = watch.lastCounts();
  const serve = watch.rss.filter((r) => r.verb === 'serve').at(-1)?.mb ?? 0;
  const lastTick = watch.rss.at(-1)?.t;
  const workers = watch.rss.filter((r) => r.verb === 'worker' && r.t === lastTick).map((r) => Math.round(r.mb));
  const heap = watch.heap.filter((r) => r.verb === 'serve').at(-1)?.mb;
  return (
    `soak ${phase} t=${Math.round(seconds)}s created=${s.created} pending=${c.PENDING ?? 0} active=${c.ACTIVE ?? 0} revoking=${c.REVOKING ?? 0} ` +
    `revoked=${c.REVOKED ?? 0} denied=${c.DENIED ?? 0} errors=${s.errors} violations=${watch.violations.size} members=${watch.memberships()} ` +
    `rss serve=${Math.round(serve)}MB workers=${workers.join('/')}MB heap serve=${heap === undefined ? '-' : Math.round(heap)}MB`
  );
}

async function commits(stack: SoakStack): Promise<{ stint: number; target: number }> {
  const { rows } = await stack.stintPool.query<{ datname: string; xact_commit: string }>(
    'SELECT datname, xact_commit FROM pg_stat_database WHERE datname = ANY($1)',
    [[stack.stintDb.name, stack.targetDb.name]],
  );
  const of = (name: string) => Number(rows.find((r) => r.datname === name)?.xact_commit ?? 0);
  return { stint: of(stack.stintDb.name), target: of(stack.targetDb.name) };
}

async function countOpen(stack: SoakStack): Promise<number> {
  const { rows } = await stack.stintPool.query<{ n: string }>('SELECT count(*) AS n FROM "Request" WHERE "status" = ANY($1)', [OPEN]);
  return Number(rows[0]!.n);
}

interface EndState {
  stuck: SoakResult['stuck'];
  grantFailed: number;
  leftMembers: string[];
  lagP50: number;
  lagP99: number;
  lagMax: number;
  lagCount: number;
  startLagP99: number;
  auditOk: boolean;
  auditEvents: number;
  auditReason: string | null;
}

async function finalChecks(stack: SoakStack): Promise<EndState> {
  const q = <T extends object>(sql: string, params: unknown[] = []) => stack.stintPool.query<T>(sql, params).then((r) => r.rows);
  const stuck = await q<{ id: string; status: string; expiresAt: Date | null }>('SELECT "id", "status", "expiresAt" FROM "Request" WHERE "status" = ANY($1) ORDER BY "id"', [OPEN]);
  const failed = await q<{ n: string }>(`SELECT count(*) AS n FROM "Request" WHERE "status" = 'GRANT_FAILED'`);
  // Lag of REVOKED behind expiresAt for grants that ran to their end (done ones ended before it).
  const lags = (await q<{ ms: string }>(`SELECT EXTRACT(EPOCH FROM ("revokedAt" - "expiresAt")) * 1000 AS ms FROM "Request" WHERE "status" = 'REVOKED' AND "revokeCause" = 'expired'`)).map((r) => Number(r.ms));
  const startLags = (
    await q<{ ms: string }>(
      `SELECT EXTRACT(EPOCH FROM (e."at" - r."expiresAt")) * 1000 AS ms FROM "AuditEvent" e JOIN "Request" r ON r."id" = e."requestId"
        WHERE e."action" = 'grant.revoking' AND e."data"->>'cause' = 'expired'`,
    )
  ).map((r) => Number(r.ms));
  const members = await stack.targetPool.query<{ account: string; role: string }>(
    `SELECT u.rolname AS account, r.rolname AS role FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = ANY($1)`,
    [stack.resources.map((r) => r.role)],
  );
  const res = await fetch(`${stack.serveUrl}/api/v1/audit/verify`, { headers: { authorization: `Bearer ${stack.adminToken}` }, signal: AbortSignal.timeout(120_000) });
  const audit = (await res.json()) as { ok?: boolean; count?: number; reason?: string; brokenSeq?: string };
  return {
    stuck: stuck.map((r) => ({ id: r.id, status: r.status, expiresAt: r.expiresAt?.toISOString() ?? null })),
    grantFailed: Number(failed[0]!.n),
    leftMembers: members.rows.map((m) => `${m.account}/${m.role}`),
    lagP50: round(percentile(lags, 50)),
    lagP99: round(percentile(lags, 99)),
    lagMax: round(percentile(lags, 100)),
    lagCount: lags.length,
    startLagP99: round(percentile(startLags, 99)),
    auditOk: res.status === 200 && audit.ok === true,
    auditEvents: audit.count ?? 0,
    auditReason: audit.ok ? null : `HTTP ${res.status}: broken at ${audit.brokenSeq ?? '?'} ${audit.reason ?? JSON.stringify(audit).slice(0, 200)}`,
  };
}

/** Error-level lines (pino level ≥ 50) of every Stint process, counted, with the last few of each kept. */
function stintErrorLines(stack: SoakStack): { count: number; lines: string[] } {
  let count = 0;
  const lines: string[] = [];
  for (const proc of [stack.serve, ...stack.workers, ...stack.retired]) {
    const errors = proc.logs().filter((l) => (l.level ?? 0) >= 50);
    count += errors.length;
    for (const l of errors.slice(-5)) lines.push(`${proc.name}: ${JSON.stringify(l).slice(0, 300)}`);
  }
  return { count, lines };
}
