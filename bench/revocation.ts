/**
 * Revocation bench (issue 4; DESIGN.md section 12 `revocation`):
 * - 10,000 ACTIVE grants (no-op provider, in a separate worker process) all expiring inside the same 60 s:
 *   lag of the revoke's start (audit `grant.revoking`) and of REVOKED behind expiresAt, p50/p99/max.
 * - The same with the worker SIGKILLed and Redis FLUSHALLed 30 s into the window, a new worker started at
 *   once: the worst lag (goal: the reconcile interval + 5 s).
 * - The worker's peak RSS while it holds the 10,000 timers.
 * - Approvals → ACTIVE with the real postgres provider (grants/s) against raw GRANT/REVOKE in a loop.
 * Own redis-server on a free port and own databases on the local PostgreSQL (BENCH_DATABASE_URL). The worker
 * runs from `npm run build`'s dist/ (bench/support/revocation-worker.mjs), as production does.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import { monotonicFactory } from 'ulid';
import { createApp } from '../src/app.ts';
import { activateGrant } from '../src/core/activate-grant.ts';
import { createRequest } from '../src/core/create-request.ts';
import { revokeGrant } from '../src/core/revoke-grant.ts';
import { jobIds, JOB_OPTIONS } from '../src/jobs/queues.ts';
import { freePort, redisAnswers } from '../src/jobs/redis.ts';
import { createLogger } from '../src/logger.ts';

export const name = 'revocation';

const ROOT = resolve(import.meta.dirname, '..');
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const GRANTS = Number(process.env.BENCH_GRANTS ?? 10_000);
const WINDOW_MS = 60_000;
const LEAD_MS = 20_000; // timers are set before the first expiry
const PREFIX = 'bench';
const ulid = monotonicFactory();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;

async function withAdmin<T>(url: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const db = `stint_bench_${Date.now().toString(36)}`;
  await withAdmin(ADMIN_URL, (c) => c.query(`CREATE DATABASE "${db}"`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${db}`;
  return { url: url.toString(), drop: () => withAdmin(ADMIN_URL, (c) => c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`)).then(() => undefined) };
}

async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  while (!(await redisAnswers(url, 300))) await sleep(50);
  return { url, child };
}

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bench/support/revocation-worker.mjs')], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((done, fail) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && done(child));
    child.once('exit', (code) => fail(new Error(`bench worker exited ${code}`)));
  });
}

function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0; // the process just died (the fault run kills it)
  }
}

/** Inserts `count` ACTIVE grants of alice expiring uniformly in [start, start + WINDOW_MS) and sets their revoke timers. */
async function seedActive(client: pg.Client, queue: Queue, start: number, count: number): Promise<void> {
  const now = new Date();
  for (let offset = 0; offset < count; offset += 1000) {
    const ids: string[] = [];
    const expiries: string[] = [];
    for (let i = offset; i < Math.min(count, offset + 1000); i++) {
      ids.push(`jit_${ulid()}`);
      expiries.push(new Date(start + Math.floor((i * WINDOW_MS) / count)).toISOString());
    }
    await client.query(
      `INSERT INTO "Request" ("id","requesterId","requesterKind","createdBy","scopes","workflow","reason","durationSec","status","required","via","decidedBy","createdAt","decidedAt","activatedAt","expiresAt","nextActionAt","policyVersion","autoApproved")
       SELECT id, 'alice', 'person', 'alice', ARRAY['bench-db'], 'auto', 'bench', 3600, 'ACTIVE', 0, 'api', 'policy:auto', $3, $3, $3, e, e, 'bench', true
       FROM unnest($1::text[], $2::timestamptz[]) AS t(id, e)`,
      [ids, expiries, now],
    );
    await client.query(
      `INSERT INTO "GrantHandle" ("id","requestId","resourceId","provider","handle")
       SELECT id || '/bench-db', id, 'bench-db', 'postgres', jsonb_build_object('config', '{}'::jsonb, 'data', jsonb_build_object('key', id || '/bench-db'))
       FROM unnest($1::text[]) AS t(id)`,
      [ids],
    );
    // What activation does: one delayed revoke job per grant, keyed by generation.
    await queue.addBulk(
      ids.map((id, i) => ({ name: 'revoke', data: { requestId: id }, opts: { ...JOB_OPTIONS, jobId: jobIds.revoke(id, 'g0'), delay: Date.parse(expiries[i]!) - Date.now() } })),
    );
  }
}

/** Waits until every grant of the run is REVOKED; answers how many were not by the deadline (a figure, not a crash). */
async function waitAllRevoked(client: pg.Client, since: Date, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM "Request" WHERE "status" <> 'REVOKED' AND "createdAt" >= $1`, [since]);
    if (rows[0].n === 0 || Date.now() > deadline) return rows[0].n as number;
    await sleep(500);
  }
}

async function lags(client: pg.Client, since: Date): Promise<{ start: number[]; revoked: number[] }> {
  const { rows } = await client.query(
    `SELECT extract(epoch FROM (a."at" - r."expiresAt")) * 1000 AS start_lag, extract(epoch FROM (r."revokedAt" - r."expiresAt")) * 1000 AS revoked_lag
     FROM "Request" r JOIN "AuditEvent" a ON a."requestId" = r."id" AND a."action" = 'grant.revoking' WHERE r."createdAt" >= $1 AND r."revokedAt" IS NOT NULL`,
    [since],
  );
  const sort = (xs: number[]) => xs.sort((a, b) => a - b);
  return { start: sort(rows.map((r) => Number(r.start_lag))), revoked: sort(rows.map((r) => Number(r.revoked_lag))) };
}

/** The busiest second of REVOKED transitions in the run: what one worker sustains on this machine. */
async function throughput(client: pg.Client, since: Date): Promise<number> {
  const { rows } = await client.query(
    `SELECT count(*)::int AS n FROM "Request" WHERE "createdAt" >= $1 AND "revokedAt" IS NOT NULL GROUP BY date_trunc('second', "revokedAt") ORDER BY n DESC LIMIT 1`,
    [since],
  );
  return (rows[0]?.n as number | undefined) ?? 0;
}

async function revocationRuns(): Promise<Record<string, number>> {
  // The worker runs from the compiled build, as in production (tsx would add its own memory to the RSS).
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  const db = await createDatabase();
  const redis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'stint-bench-'));
  const policyPath = join(dir, 'stint.yaml');
  writeFileSync(
    policyPath,
    `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [sre] }
resources:
  - { id: bench-db, provider: { type: postgres, connection: "env:BENCH_TARGET", role: bench_rw }, maxDuration: 8h, workflow: auto }
workflows:
  auto: { eligible: [group:sre], autoApprove: { conditions: [{ type: DURATION, operator: LESS_THAN, value: 8h }] } }
`,
  );
  const env = { DATABASE_URL: db.url, REDIS_URL: redis.url, STINT_QUEUE_PREFIX: PREFIX, STINT_POLICY: policyPath, METRICS_PORT: String(await freePort()), LOG_LEVEL: 'warn' };
  let worker = await startWorker(env);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue('revoke', { connection, prefix: PREFIX });
  let peakRss = 0;
  const sampler = setInterval(() => {
    if (worker.pid && worker.exitCode === null) peakRss = Math.max(peakRss, rssMb(worker.pid));
  }, 250);
  try {
    // Run 1: undisturbed.
    const since1 = new Date();
    await seedActive(client, queue, Date.now() + LEAD_MS, GRANTS);
    const calmLeft = await waitAllRevoked(client, since1, LEAD_MS + WINDOW_MS + 120_000);
    const calm = await lags(client, since1);
    const revokesPerSec = await throughput(client, since1);
    const calmRss = peakRss;
    console.log(`  calm run: start lag p50 ${pct(calm.start, 50)} ms, p99 ${pct(calm.start, 99)} ms, max ${calm.start.at(-1)} ms; worker peak RSS ${calmRss.toFixed(0)} MB`);

    // Run 2: SIGKILL the worker and FLUSHALL Redis 30 s into the window, start a new worker at once.
    const since2 = new Date();
    const windowStart = Date.now() + LEAD_MS;
    await seedActive(client, queue, windowStart, GRANTS);
    await sleep(windowStart + WINDOW_MS / 2 - Date.now());
    worker.kill('SIGKILL');
    await new Promise((r) => worker.once('exit', r));
    await connection.flushall();
    worker = await startWorker(env);
    const faultLeft = await waitAllRevoked(client, since2, WINDOW_MS + 120_000);
    const fault = await lags(client, since2);

    return {
      grants: GRANTS,
      startLagP50Ms: Math.round(pct(calm.start, 50)),
      startLagP99Ms: Math.round(pct(calm.start, 99)),
      startLagMaxMs: Math.round(calm.start.at(-1) ?? 0),
      revokedLagP50Ms: Math.round(pct(calm.revoked, 50)),
      revokedLagP99Ms: Math.round(pct(calm.revoked, 99)),
      revokedLagMaxMs: Math.round(calm.revoked.at(-1) ?? 0),
      faultStartLagP99Ms: Math.round(pct(fault.start, 99)),
      faultMaxLagMs: Math.round(fault.revoked.at(-1) ?? 0),
      workerRssMb: Math.round(calmRss),
      revokesPerSecPeak: revokesPerSec,
      notRevokedAfter2Min: calmLeft,
      faultNotRevokedAfter2Min: faultLeft,
    };
  } finally {
    clearInterval(sampler);
    worker.kill('SIGTERM');
    await queue.close();
    connection.disconnect();
    await client.end();
    redis.child.kill('SIGTERM');
    await db.drop();
  }
}

/** Approvals → ACTIVE with the real postgres provider, against raw GRANT/REVOKE on the same roles. */
async function grantThroughput(): Promise<Record<string, number>> {
  const people = 200;
  const db = await createDatabase();
  const target = await createDatabase();
  const tag = `b${Date.now().toString(36)}`;
  const role = `${tag}_rw`;
  const users = Array.from({ length: people }, (_, i) => `${tag}_u${i}`);
  const admin = new pg.Client({ connectionString: target.url });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE "${role}" NOLOGIN`);
    for (const u of users) await admin.query(`CREATE ROLE "${u}" LOGIN`);

    // Raw: what a DBA's script would do, one GRANT and one REVOKE per person on one connection.
    const rawStart = performance.now();
    for (const u of users) await admin.query(`GRANT "${role}" TO "${u}"`);
    const rawGrantsPerSec = people / ((performance.now() - rawStart) / 1000);
    for (const u of users) await admin.query(`REVOKE "${role}" FROM "${u}"`);

    const yaml = `version: 1
people:
${users.map((u, i) => `  - { id: p${i}, email: p${i}@example.com, groups: [sre], accounts: { postgres: ${u} } }`).join('\n')}
resources:
  - { id: bench-db, provider: { type: postgres, connection: "env:BENCH_TARGET", role: ${role}, mode: membership }, maxDuration: 8h, workflow: auto }
workflows:
  auto: { eligible: [group:sre], autoApprove: { conditions: [{ type: DURATION, operator: LESS_THAN, value: 8h }] } }
`;
    const dir = mkdtempSync(join(tmpdir(), 'stint-bench-'));
    writeFileSync(join(dir, 'stint.yaml'), yaml);
    const app = await createApp({
      env: { DATABASE_URL: db.url, STINT_POLICY: join(dir, 'stint.yaml'), BENCH_TARGET: target.url, LOG_LEVEL: 'silent' },
      overrides: { logger: createLogger('silent'), watchPolicy: false },
    });
    try {
      const approved: string[] = [];
      for (let i = 0; i < people; i++) {
        const actor = { id: `p${i}`, kind: 'person' as const, scopes: ['request' as const], via: 'api' as const };
        approved.push((await createRequest(actor, { identityId: `p${i}`, scopes: ['bench-db'], duration: '1h', reason: 'bench' }, app.core)).request.id);
      }
      const start = performance.now();
      const concurrency = 8;
      for (let i = 0; i < approved.length; i += concurrency) {
        const outcomes = await Promise.all(approved.slice(i, i + concurrency).map((id) => activateGrant(id, app.grants)));
        const bad = outcomes.find((o) => o.status !== 'ACTIVE');
        if (bad) throw new Error(`activation ended ${bad.status}: ${bad.request?.statusReason}`);
      }
      const grantsPerSec = people / ((performance.now() - start) / 1000);
      // Clean up through Stint too (its marker roles are cluster-wide).
      for (let i = 0; i < approved.length; i += concurrency) {
        await Promise.all(approved.slice(i, i + concurrency).map((id) => revokeGrant(id, 'done', 'bench', app.grants)));
      }
      return { grantsPerSec: Math.round(grantsPerSec), rawGrantsPerSec: Math.round(rawGrantsPerSec), ratioToRawGrant: Number((grantsPerSec / rawGrantsPerSec).toFixed(3)) };
    } finally {
      await app.close();
    }
  } finally {
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename LIKE '${tag}%'`).catch(() => undefined);
    await admin.end();
    await target.drop();
    await withAdmin(ADMIN_URL, async (c) => {
      for (const u of [...users, role]) await c.query(`DROP ROLE IF EXISTS "${u}"`);
    });
    await db.drop();
  }
}

export async function run(): Promise<Record<string, number>> {
  const revocation = await revocationRuns();
  const throughput = await grantThroughput();
  return { ...revocation, ...throughput };
}
