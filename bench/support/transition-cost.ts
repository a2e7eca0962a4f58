/**
 * What one auto-approved request costs the databases, phase by phase (issue 11): `npx tsx bench/support/transition-cost.ts [N]`.
 * An in-process app like the soak's (postgres provider, `mode: membership`, Slack notifications to a fake Slack,
 * its own Redis, its own Stint and target databases, all removed at the end) runs N requests through REST create
 * (workers stopped), then the grant job, then — after the 1 s expiry — the revoke job, each phase waited out to
 * the last notification. Every `pg` query of this process is counted, per database: statements (= client round
 * trips: node-postgres sends one query per round trip), transactions (BEGIN … COMMIT and autocommit statements
 * alike), connections opened; and `pg_stat_database.xact_commit` as the server saw it. The reconciler stays out
 * (its sweeps are per interval, not per request). `--sql` also prints each phase's statements, grouped.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createApp } from '../../src/app.ts';
import { issueToken } from '../../src/core/manage-tokens.ts';
import { createLogger } from '../../src/logger.ts';
import { createTestDatabase } from '../../test/support/test-database.ts';
import { startTestRedis } from '../../test/support/test-redis.ts';
import { SLACK_TOKEN, startSoakSlack } from '../load/fake-slack.ts';

interface Tally {
  statements: number;
  transactions: number;
  connections: number;
  sql: Map<string, number>;
}

const tallies = new Map<string, Tally>();
const tallyOf = (db: string): Tally => {
  let t = tallies.get(db);
  if (!t) tallies.set(db, (t = { statements: 0, transactions: 0, connections: 0, sql: new Map() }));
  return t;
};
const inTx = new WeakSet<object>();
/** The harness's own session (polling, pg_stat_database) is not counted. */
const UNCOUNTED = 'perf-uncounted';

// Counted at the driver: Prisma's adapter and the provider both talk through pg.Client.
const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown; connect: (...args: unknown[]) => unknown };
const query = proto.query;
const connect = proto.connect;
proto.query = function (this: pg.Client, ...args: unknown[]) {
  if ((this as unknown as { connectionParameters?: { application_name?: string } }).connectionParameters?.application_name === UNCOUNTED) return query.apply(this, args);
  const first = args[0];
  const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '?');
  const t = tallyOf(this.database ?? '?');
  t.statements++;
  const head = text.replace(/\s+/g, ' ').trim().slice(0, 110);
  t.sql.set(head, (t.sql.get(head) ?? 0) + 1);
  const verb = text.trim().slice(0, 8).toUpperCase();
  if (verb.startsWith('BEGIN')) inTx.add(this);
  else if (verb.startsWith('COMMIT') || verb.startsWith('ROLLBACK')) {
    inTx.delete(this);
    t.transactions++;
  } else if (!inTx.has(this)) t.transactions++;
  return query.apply(this, args);
};
proto.connect = function (this: pg.Client, ...args: unknown[]) {
  tallyOf(this.database ?? '?').connections++;
  return connect.apply(this, args);
};

function snapshot(): Map<string, { statements: number; transactions: number; connections: number; sql: Map<string, number> }> {
  return new Map([...tallies].map(([db, t]) => [db, { ...t, sql: new Map(t.sql) }]));
}

async function main(): Promise<void> {
  const n = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 5);
  const showSql = process.argv.includes('--sql');
  const tag = randomBytes(3).toString('hex');
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  try {
    const stintDb = await createTestDatabase();
    cleanups.push(() => stintDb.drop());
    const targetDb = await createTestDatabase();
    cleanups.push(() => targetDb.drop());
    const role = `perf${tag}_auto`;
    const accounts = Array.from({ length: n }, (_, i) => `perf${tag}_u${i}`);
    const admin = new pg.Client({ connectionString: targetDb.url });
    await admin.connect();
    cleanups.push(async () => {
      await admin.query(`DROP ROLE IF EXISTS "${role}"`);
      for (const a of accounts) await admin.query(`DROP ROLE IF EXISTS "${a}"`);
      const markers = await admin.query<{ rolname: string }>(`SELECT rolname FROM pg_roles WHERE rolname LIKE 'stint\\_m\\_%' AND shobj_description(oid, 'pg_authid') LIKE '%perf${tag}%'`);
      for (const m of markers.rows) await admin.query(`DROP ROLE IF EXISTS "${m.rolname}"`);
      await admin.end();
    });
    await admin.query(`CREATE ROLE "${role}" NOLOGIN`);
    for (const a of accounts) await admin.query(`CREATE ROLE "${a}" LOGIN`);

    const redis = await startTestRedis();
    cleanups.push(() => redis.close());
    const slack = await startSoakSlack();
    cleanups.push(() => slack.close());
    const dir = mkdtempSync(join(tmpdir(), 'stint-perf-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const policyPath = join(dir, 'stint.yaml');
    const people = accounts.map((a, i) => `  - { id: p${i}, email: p${i}@example.com, slack: UPERF${i}, groups: [eng], accounts: { postgres: ${a} } }`);
    writeFileSync(
      policyPath,
      `version: 1
people:
${people.join('\n')}
timezone: UTC
resources:
  - id: auto-0
    provider: { type: postgres, connection: "env:PERF_TARGET_URL", role: ${role}, mode: membership }
    minDuration: 1s
    maxDuration: 1h
    workflow: auto
workflows:
  auto:
    eligible: [group:eng]
    autoApprove: { conditions: [] }
`,
    );
    const app = await createApp({
      env: {
        DATABASE_URL: stintDb.url,
        REDIS_URL: redis.url,
        STINT_QUEUE_PREFIX: `perf-${tag}`,
        STINT_POLICY: policyPath,
        SLACK_BOT_TOKEN: SLACK_TOKEN,
        SLACK_SIGNING_SECRET: 'perf-signing-secret-0123456789abcdef',
        SLACK_API_URL: slack.apiUrl,
        PERF_TARGET_URL: targetDb.url,
        LOG_LEVEL: 'silent',
      },
      overrides: { logger: createLogger('silent'), watchPolicy: false, background: { reconcileIntervalMs: 3_600_000 } },
    });
    cleanups.push(() => app.close());
    const clock = { now: () => new Date() };
    const tokens = await Promise.all(accounts.map(async (_, i) => (await issueToken({ ownerId: `p${i}`, issuedBy: 'perf' }, { tokens: app.store, clock, policy: app.policy.current() })).token));
    await app.startBackground({ workers: false });
    const base = await app.listen();
    const stats = new pg.Client({ connectionString: stintDb.url, application_name: UNCOUNTED });
    await stats.connect();
    cleanups.push(() => stats.end());
    const xactCommit = async () => {
      // An idle backend reports its counters up to 10 s late (PostgreSQL 15's PGSTAT_IDLE_INTERVAL).
      await new Promise((r) => setTimeout(r, 11_000));
      await stats.query('SELECT pg_stat_clear_snapshot()');
      const rows = await stats.query<{ datname: string; c: string }>('SELECT datname, xact_commit::text AS c FROM pg_stat_database WHERE datname = ANY($1)', [[stintDb.name, targetDb.name]]);
      return new Map(rows.rows.map((r) => [r.datname, Number(r.c)]));
    };
    const statusOf = async (id: string) => (await stats.query<{ status: string }>('SELECT status FROM "Request" WHERE id = $1', [id])).rows[0]?.status;
    let polls = 0;
    const waitAll = async (ids: string[], status: string) => {
      const deadline = Date.now() + 60_000;
      for (const id of ids) {
        while ((polls++, await statusOf(id)) !== status) {
          if (Date.now() > deadline) throw new Error(`${id} not ${status} within 60 s (${await statusOf(id)})`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      await app.notifications.idle();
      await new Promise((r) => setTimeout(r, 500)); // notify jobs picked up after the transition
      await app.notifications.idle();
    };

    const phases: Array<{ name: string; run: () => Promise<void> }> = [];
    let ids: string[] = [];
    phases.push({
      name: 'create (REST, auto-approved)',
      run: async () => {
        ids = await Promise.all(
          tokens.map(async (token) => {
            const res = await fetch(`${base}/api/v1/credentials/jit`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify({ reason: 'perf: one transition', scopes: ['auto-0'], duration: '8s' }),
            });
            const body = (await res.json()) as { id?: string; status?: string };
            if (res.status !== 201 || body.status !== 'APPROVED') throw new Error(`create: HTTP ${res.status} ${JSON.stringify(body)}`);
            return body.id!;
          }),
        );
      },
    });
    phases.push({ name: 'grant job (+ notifications)', run: async () => {
      await app.startBackground({ workers: true });
      await waitAll(ids, 'ACTIVE');
    } });
    phases.push({ name: 'revoke job at expiry (+ notifications)', run: () => waitAll(ids, 'REVOKED') });

    const rows: string[] = [];
    const commitsBefore = await xactCommit();
    const startTally = snapshot();
    let before = startTally;
    for (const phase of phases) {
      await phase.run();
      const after = snapshot();
      for (const [label, db] of [['stint', stintDb.name], ['target', targetDb.name]] as const) {
        const a = after.get(db);
        const b = before.get(db);
        const d = (k: 'statements' | 'transactions' | 'connections') => ((a?.[k] ?? 0) - (b?.[k] ?? 0)) / n;
        rows.push(`${phase.name.padEnd(40)} ${label.padEnd(6)} statements ${d('statements').toFixed(1).padStart(5)}  transactions ${d('transactions').toFixed(1).padStart(5)}  connections ${d('connections').toFixed(1).padStart(4)}`);
        if (showSql && a) {
          const lines = [...a.sql].map(([sql, count]) => [sql, (count - (b?.sql.get(sql) ?? 0)) / n] as const).filter(([, c]) => c > 0).sort((x, y) => y[1] - x[1]);
          for (const [sql, c] of lines) rows.push(`      ${c.toFixed(1).padStart(5)}  ${sql}`);
        }
      }
      before = after;
    }
    const end = snapshot();
    const commitsAfter = await xactCommit();
    for (const [label, db] of [['stint', stintDb.name], ['target', targetDb.name]] as const) {
      // Less the harness's own statements on the Stint database (its polls and these two).
      const server = ((commitsAfter.get(db) ?? 0) - (commitsBefore.get(db) ?? 0) - (label === 'stint' ? polls + 2 : 0)) / n;
      const client = ((end.get(db)?.transactions ?? 0) - (startTally.get(db)?.transactions ?? 0)) / n;
      rows.push(`all phases ${label.padEnd(6)}: transactions counted here ${client.toFixed(1)}, xact_commit seen by the server ${server.toFixed(1)}`);
    }
    console.log(`per request, N=${n}\n${rows.join('\n')}`);
  } finally {
    for (const step of cleanups.reverse()) await Promise.resolve().then(step).catch((err: unknown) => console.error('cleanup:', err));
  }
}

await main();
process.exit(0);
