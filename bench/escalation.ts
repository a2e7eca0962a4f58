/**
 * Escalation bench (issue 7; DESIGN.md section 12 `escalation`): 10,000 PENDING requests whose escalation step falls
 * due inside the same minute — spread evenly across those 60 s, one due time every 6 ms, the honest reading of
 * "the same minute" — and a step that pages a PagerDuty-scheduled rotation. Lateness per request = the moment the
 * local PagerDuty fake (test/fakes/pagerduty.ts, Events API v2 contract enforced) received the step's trigger − the
 * step's due time (createdAt + `after`); p50/p99/max. Every step must page exactly once (counted per dedup key):
 * a missing or doubled page fails the bench.
 *
 * What runs: a real `stint worker` from `npm run build`'s dist/ (queue workers + reconciler, as production runs
 * it) with PAGERDUTY_ROUTING_KEY / PAGERDUTY_EVENTS_URL (pages) and PAGERDUTY_TOKEN / PAGERDUTY_API_URL (who is on
 * call: carol, asked before each step, cached per minute) pointing at the fake, its own database on the local
 * PostgreSQL (BENCH_DATABASE_URL) and its own redis-server on a free port. The requests are made by the real use
 * case (core/create-request.ts) in this process, whose app sets their timers in the same Redis; each is created with
 * a clock set `STEP_AFTER` before its due time, i.e. as if it had been asked an hour earlier, so the rows,
 * audit events and timers are exactly what the product writes. That also puts each request's halfway reminder
 * (core/escalation.ts) in the past: the worker sends it during the set-up (no chat is configured, so a reminder is a
 * row update, an audit event and a log line) and it sets the step's timer, as it would have. The bench waits for all
 * of that before the minute starts, so reminders do not share the measured minute.
 *
 * The fake and the due times use this machine's wall clock (Date.now()); the fake lives in this process, which is
 * idle during the minute. `otherCpuPct` is the share of the two cores that processes outside the bench took then.
 * BENCH_ESCALATION_REQUESTS=<n> runs a smaller bench while developing (the due times still span one minute).
 * Diagnosis, not for the committed figures: BENCH_ESCALATION_CPU_PROF=<dir> writes a V8 CPU profile of the worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { withBuild } from './support/built.ts';
import { createApp, type App } from '../src/app.ts';
import { createRequest } from '../src/core/create-request.ts';
import { freePort, redisAnswers } from '../src/jobs/redis.ts';
import { createLogger } from '../src/logger.ts';
import { startFakePagerDuty, type FakePagerDuty } from '../test/fakes/pagerduty.ts';
import { busiestSecond, counterValue, countPages, percentile, type DueStep } from './support/escalation-figures.ts';
import { cpuSnapshot, otherCpuPercent, type CpuSnapshot } from './support/teams-cpu.ts';

export const name = 'escalation';

const ROOT = resolve(import.meta.dirname, '..');
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const REQUESTS = Number(process.env.BENCH_ESCALATION_REQUESTS ?? 10_000);
const WINDOW_MS = 60_000;
/** The step's `after`. More than twice the lead, so each request is created in the past and its reminder is due at once. */
const STEP_AFTER_MS = 60 * 60_000;
/** Requests created at once (each is one transaction that ends on the audit chain's head row). */
const CREATE_CONCURRENCY = 8;
/**
 * Time from the start of seeding to the minute: creating the requests, their reminders and their timers must fit in
 * it. About 90 ms a request: creation ran at 15–110/s on the two shared cores (busy with neighbours' test runs) while
 * the worker sent the reminders. Seeding that falls behind stops at once (SEED_MARGIN_MS) instead of measuring a lie.
 */
const LEAD_MS = Number(process.env.BENCH_ESCALATION_LEAD_S ?? 60 + REQUESTS * 0.09) * 1000;
if (LEAD_MS >= STEP_AFTER_MS / 2) throw new Error(`BENCH_ESCALATION_LEAD_S must stay under ${STEP_AFTER_MS / 2000} s: the reminders must fall due before the seeding starts`);
/** A request created less than this before its due time would leave its reminder and timer no time: stop. */
const SEED_MARGIN_MS = 20_000;
/** How long after the minute the bench waits for the last page before counting the rest as missing. */
const TAIL_MS = 300_000;
/** After the last page, how long the bench keeps listening for a second page of a step. */
const SETTLE_MS = 5_000;
const PREFIX = 'bench-esc';
const ROTATION = 'dba-pager';
const SCHEDULE = 'PBENCH1';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** alice asks; carol could approve but never does; step 1, ten minutes in, pages the PagerDuty rotation. */
const POLICY_YAML = `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [sre], accounts: { postgres: alice } }
  - { id: carol, email: carol@example.com, groups: [dba] }
timezone: UTC
oncall:
  ${ROTATION}: { pagerduty: { scheduleId: ${SCHEDULE} } }
resources:
  - { id: bench-db, provider: { type: postgres, connection: "env:BENCH_UNUSED_DB", role: bench_rw }, maxDuration: 4h, workflow: escalating }
workflows:
  escalating:
    eligible: [group:sre]
    approvers: [group:dba]
    required: 1
    approvalWindow: 4h
    escalation:
      - { after: ${STEP_AFTER_MS / 60_000}m, notify: [oncall:${ROTATION}] }
`;

/** The parent's environment without anything Stint reads (a developer's shell must not leak into the worker). */
function cleanEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(STINT_|PAGERDUTY_|OPSGENIE_|SLACK_|TEAMS_)/.test(k) || ['DATABASE_URL', 'REDIS_URL', 'PORT', 'METRICS_PORT', 'LOG_LEVEL', 'NODE_OPTIONS'].includes(k)) continue;
    out[k] = v;
  }
  return out;
}

async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  while (!(await redisAnswers(url, 300))) {
    if (child.exitCode !== null) throw new Error(`redis-server on port ${port} exited ${child.exitCode}`);
    await sleep(50);
  }
  return { url, child };
}

/** `stint worker` from dist/; its output goes to `logFile`. Resolves with its metrics URL once the banner is out. */
async function startWorker(env: Record<string, string>, logFile: string): Promise<{ child: ChildProcess; metricsUrl: string }> {
  const fd = openSync(logFile, 'a');
  const cpuProf = process.env.BENCH_ESCALATION_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_ESCALATION_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...cpuProf, join(ROOT, 'dist/main.js'), 'worker'], { cwd: ROOT, env: { ...cleanEnv(), ...env }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const found = /Stint worker running; .* on (http:\/\/\S+)/.exec(readFileSync(logFile, 'utf8'));
    if (found) return { child, metricsUrl: found[1]! };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`stint worker did not start (exit ${child.exitCode}):\n${tail(logFile)}`);
    await sleep(100);
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

const tail = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-20).join('\n') : '');

/**
 * Creates the requests with the real use case, request i due at `windowStart + i·60 s/N`: each with a clock that
 * says `STEP_AFTER_MS` before its due time. Returns each request's id and due time.
 */
async function createPending(app: App, windowStart: number): Promise<DueStep[]> {
  const alice = { id: 'alice', kind: 'person', scopes: ['request'], via: 'api' } as const;
  const steps: DueStep[] = new Array(REQUESTS);
  let next = 0;
  const worker = async () => {
    while (next < REQUESTS) {
      const i = next++;
      const dueAt = windowStart + Math.floor((i * WINDOW_MS) / REQUESTS);
      if (dueAt - Date.now() < SEED_MARGIN_MS) throw new Error(`seeding fell behind at request ${i} of ${REQUESTS}: raise BENCH_ESCALATION_LEAD_S (now ${LEAD_MS / 1000})`);
      const createdAt = new Date(dueAt - STEP_AFTER_MS);
      const ports = { ...app.core, clock: { now: () => createdAt } };
      const { request } = await createRequest(alice, { identityId: 'alice', scopes: ['bench-db'], duration: '1h', reason: `bench escalation ${i}` }, ports);
      if (request.status !== 'PENDING') throw new Error(`request ${i} is ${request.status}, not PENDING`);
      steps[i] = { requestId: request.id, dueAt };
      if ((i + 1) % 2_000 === 0) process.stdout.write(`bench escalation: ${i + 1} requests created\n`);
    }
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
  return steps;
}

/** Waits until every request's reminder is sent and its step's timer is set in Redis (nothing else waiting). */
async function waitTimersSet(db: pg.Client, queue: Queue, deadline: number, logFile: string): Promise<void> {
  for (;;) {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "AuditEvent" WHERE "action" = 'request.reminded'`);
    const counts = await queue.getJobCounts('delayed', 'waiting', 'active', 'prioritized');
    const reminded = rows[0]!.n;
    if (reminded === REQUESTS && counts.delayed === REQUESTS && (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.prioritized ?? 0) === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `set-up did not finish before the minute (reminded ${reminded}/${REQUESTS}, timers ${JSON.stringify(counts)}); ` +
          `raise BENCH_ESCALATION_LEAD_S (now ${LEAD_MS / 1000})\n${tail(logFile)}`,
      );
    }
    await sleep(250);
  }
}

export function run(): Promise<Record<string, number>> {
  // The worker runs the compiled build, as in production.
  return withBuild(measure);
}

async function measure(): Promise<Record<string, number>> {
  const dbName = `stint_bench_esc_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const dbUrl = new URL(ADMIN_URL);
  dbUrl.pathname = `/${dbName}`;
  const dir = mkdtempSync(join(tmpdir(), 'stint-bench-esc-'));
  const policyPath = join(dir, 'stint.yaml');
  const logFile = join(dir, 'worker.log');
  writeFileSync(policyPath, POLICY_YAML);
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  try {
    const pd: FakePagerDuty = await startFakePagerDuty();
    cleanups.push(() => pd.close());
    pd.setOnCall(SCHEDULE, [{ email: 'carol@example.com' }]);
    const redis = await startRedis();
    cleanups.push(() => stopChild(redis.child));
    const stintEnv = {
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL: redis.url,
      STINT_QUEUE_PREFIX: PREFIX,
      STINT_POLICY: policyPath,
      // The resource's provider is never called (nobody approves); its connection only has to parse.
      BENCH_UNUSED_DB: 'postgresql://bench@127.0.0.1:9/unused',
    };

    // This process creates the requests (and migrates the database first); its timers go to the worker's Redis.
    const app = await createApp({ env: { ...stintEnv, LOG_LEVEL: 'silent' }, overrides: { logger: createLogger('silent'), watchPolicy: false } });
    cleanups.push(() => app.close());
    await app.startBackground({ workers: false });
    const worker = await startWorker(
      {
        ...stintEnv,
        PAGERDUTY_ROUTING_KEY: pd.routingKey,
        PAGERDUTY_EVENTS_URL: pd.url,
        PAGERDUTY_TOKEN: pd.token,
        PAGERDUTY_API_URL: pd.url,
        METRICS_PORT: String(await freePort()),
        LOG_LEVEL: 'info',
      },
      logFile,
    );
    cleanups.push(() => stopChild(worker.child));
    const db = new pg.Client({ connectionString: dbUrl.toString() });
    await db.connect();
    cleanups.push(() => db.end());
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    cleanups.push(() => connection.disconnect());
    const queue = new Queue('escalate', { connection, prefix: PREFIX });
    cleanups.push(() => queue.close());

    const seedStart = Date.now();
    const windowStart = seedStart + LEAD_MS;
    const steps = await createPending(app, windowStart);
    const seededMs = Date.now() - seedStart;
    await waitTimersSet(db, queue, windowStart - 2_000, logFile);
    const setUpMs = Date.now() - seedStart;
    process.stdout.write(`bench escalation: ${REQUESTS} requests created in ${(seededMs / 1000).toFixed(1)} s, reminders and timers done ${((windowStart - Date.now()) / 1000).toFixed(1)} s before the minute\n`);

    // The measured phase: from the first due time until the last page (or the tail deadline).
    await sleep(windowStart - Date.now() - 500);
    const benchPids = async () => [
      worker.child.pid!,
      redis.child.pid!,
      ...(await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [dbName])).rows.map((r) => r.pid),
    ];
    const before = cpuSnapshot(await benchPids());
    const deadline = windowStart + WINDOW_MS + TAIL_MS;
    while (pd.alerts.size < REQUESTS && Date.now() < deadline) await sleep(250);
    const after = cpuSnapshot(await benchPids());
    await sleep(SETTLE_MS);

    const pages = countPages(pd.calls, steps);
    const rejected = pd.calls.filter((c) => c.path === '/v2/enqueue').length - pd.events.length;
    const { rows } = await db.query<{ reached: number; audited: number; doubled: number }>(
      `SELECT (SELECT count(*)::int FROM "Request" WHERE "escalationLevel" = 1) AS reached,
              (SELECT count(*)::int FROM "AuditEvent" WHERE "action" = 'request.escalated') AS audited,
              (SELECT count(*)::int FROM (SELECT 1 FROM "AuditEvent" WHERE "action" = 'request.escalated' GROUP BY "requestId" HAVING count(*) > 1) d) AS doubled`,
    );
    const stored = rows[0]!;
    // Where the time went: audit `at` is the worker's clock when it began the step (job or sweep picked it up).
    const started = (
      await db.query<{ id: string; at: number; lag: number }>(
        `SELECT r."id", extract(epoch FROM a."at") * 1000 AS at, extract(epoch FROM (a."at" - r."createdAt")) * 1000 - $1 AS lag
         FROM "AuditEvent" a JOIN "Request" r ON r."id" = a."requestId" WHERE a."action" = 'request.escalated'`,
        [STEP_AFTER_MS],
      )
    ).rows;
    const stepStart = started.map((r) => Number(r.lag)).sort((a, b) => a - b);
    // From the step's start to its page's arrival: the transaction, the timer, the log line and the HTTP call.
    const stepToPing = started.flatMap((r) => (pages.firstArrival.has(r.id) ? [pages.firstArrival.get(r.id)! - Number(r.at)] : [])).sort((a, b) => a - b);
    const metricsText = await (await fetch(`${worker.metricsUrl}/metrics`)).text();
    const byTimer = counterValue(metricsText, 'stint_jobs_total', { queue: 'escalate', outcome: 'escalated' });

    const lastPage = pages.arrivals.at(-1) ?? windowStart;
    const cpu = cpuShares(before, after);
    const round = (x: number) => Math.round(x);
    const figures = {
      latenessP99Ms: round(percentile(pages.latenessMs, 99)),
      latenessP50Ms: round(percentile(pages.latenessMs, 50)),
      latenessMaxMs: round(pages.latenessMs.at(-1) ?? 0),
      latenessMinMs: round(pages.latenessMs[0] ?? 0),
      requests: REQUESTS,
      windowSeconds: WINDOW_MS / 1000,
      pings: pages.arrivals.length,
      stepsReached: stored.reached,
      missingPings: pages.missing,
      duplicatePings: pages.duplicates,
      strangerPings: pages.strangers,
      rejectedPings: rejected,
      // The worker asks who is on call in the rotation before each step (GET /oncalls, cached per minute).
      onCallLookups: pd.calls.filter((c) => c.path === '/oncalls').length,
      escalatedAuditEvents: stored.audited,
      stepsAuditedTwice: stored.doubled,
      // Pages per second from the first due time to the last page, and in the busiest second.
      pingsPerSec: round(pages.arrivals.length / Math.max(1, (lastPage - windowStart) / 1000)),
      pingsPerSecPeak: busiestSecond(pages.arrivals),
      stepStartLagP50Ms: round(percentile(stepStart, 50)),
      stepStartLagP99Ms: round(percentile(stepStart, 99)),
      stepToPingP50Ms: round(percentile(stepToPing, 50)),
      stepToPingP99Ms: round(percentile(stepToPing, 99)),
      stepsByTimer: byTimer,
      stepsBySweep: stored.audited - byTimer,
      seedRequestsPerSec: round(REQUESTS / (seededMs / 1000)),
      setUpSeconds: round(setUpMs / 1000),
      workerCpuPct: Math.round(cpu.workerPct * 10) / 10,
      postgresCpuPct: Math.round(cpu.postgresPct * 10) / 10,
      redisCpuPct: Math.round(cpu.redisPct * 10) / 10,
      machineCpuPct: Math.round(cpu.machinePct * 10) / 10,
      otherCpuPct: Math.round(otherCpuPercent(before, after) * 10) / 10,
    };
    process.stdout.write(`bench escalation: ${JSON.stringify(figures)}\n`);
    const wrong = [
      pages.missing > 0 && `${pages.missing} steps never paged`,
      pages.duplicates > 0 && `${pages.duplicates} extra pages`,
      stored.reached !== REQUESTS && `${stored.reached}/${REQUESTS} rows at escalation level 1`,
      stored.doubled > 0 && `${stored.doubled} steps audited twice`,
      rejected > 0 && `${rejected} pages refused by the fake`,
    ].filter(Boolean);
    if (wrong.length > 0) throw new Error(`escalation bench: every step must page exactly once, but ${wrong.join('; ')}\n${tail(logFile)}`);
    return figures;
  } finally {
    for (const step of cleanups.reverse()) await Promise.resolve().then(step).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  }
}

/**
 * Percent of all cores (100 Hz ticks) the machine was busy between two snapshots, and the shares of the worker, of
 * Redis and of the PostgreSQL backends serving the bench's database (the snapshots' pids, in that order).
 */
function cpuShares(before: CpuSnapshot, after: CpuSnapshot): { machinePct: number; workerPct: number; redisPct: number; postgresPct: number } {
  const capacity = ((after.at - before.at) / 1000) * 100 * cpus().length;
  const used = [...after.pids].map(([pid, ticks]) => (100 * (ticks - (before.pids.get(pid) ?? 0))) / capacity);
  const [workerPct = 0, redisPct = 0, ...postgres] = used;
  return { machinePct: (100 * (after.busy - before.busy)) / capacity, workerPct, redisPct, postgresPct: postgres.reduce((a, b) => a + b, 0) };
}
