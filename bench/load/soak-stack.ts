/**
 * Everything the soak runs against, started as production runs it: its own Stint database and target database
 * on the shared PostgreSQL, one LOGIN role per person and one granted role per resource on the target (postgres
 * provider, `mode: membership`: a person's memberships never overlap), its own redis-server (production
 * settings), the fake Slack Web API, one real `stint serve` (REST + Slack, signed slash commands) and N real
 * `stint worker` processes (test/support/stint-process.ts), and an API token per person and per approver.
 * `close()` removes all of it — processes, Redis, databases, roles, temp dir — also after a failure.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../src/jobs/redis.ts';
import { spawnStint, type StintProcess } from '../../test/support/stint-process.ts';
import { TEST_DATABASE_ADMIN_URL, createTestDatabase, type TestDatabase } from '../../test/support/test-database.ts';
import { SLACK_TOKEN, startSoakSlack, type SoakSlack } from './fake-slack.ts';
import { startProductionRedis, type ProductionRedis } from './production-redis.ts';

export const SIGNING_SECRET = 'soak-signing-secret-0123456789abcdef';
const TARGET_ENV = 'STINT_SOAK_TARGET_URL';

export interface SoakPerson {
  id: string;
  slackUserId: string;
  account: string;
  token: string;
}

export interface SoakResource {
  id: string;
  role: string;
  needsApproval: boolean;
}

export interface SoakStack {
  serveUrl: string;
  adminToken: string;
  people: SoakPerson[];
  approverTokens: string[];
  resources: SoakResource[];
  /** Read-only sessions for the watch and the checks. */
  stintPool: pg.Pool;
  targetPool: pg.Pool;
  stintDb: TestDatabase;
  targetDb: TestDatabase;
  redis: ProductionRedis;
  slack: SoakSlack;
  serve: StintProcess;
  /** Where a process (serve or worker) answers `/metrics`. */
  metricsUrl(proc: StintProcess): string;
  /** Workers running now (killed ones are dropped from the list, their output kept in `retired`). */
  workers: StintProcess[];
  retired: StintProcess[];
  startWorker(): Promise<StintProcess>;
  /** SIGKILLs the reconciler's leader (else the oldest worker) and starts a new one at once; resolves when it is up. */
  killWorker(): Promise<{ killed: string; started: string }>;
  /** SIGTERM every worker (graceful) and forget them. */
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  people: number;
  autoResources: number;
  approvalResources: number;
  workers: number;
}

export async function startSoakStack(options: StackOptions): Promise<SoakStack> {
  const tag = randomBytes(3).toString('hex');
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const running = new Set<StintProcess>();
  const cleanup = async () => {
    await Promise.all([...running].map((p) => p.kill().catch(() => undefined)));
    for (const step of cleanups.splice(0).reverse()) await Promise.resolve().then(step).catch(() => undefined);
  };
  try {
    const stintDb = await createTestDatabase();
    cleanups.push(() => stintDb.drop());
    const targetDb = await createTestDatabase();
    cleanups.push(() => targetDb.drop());

    const resources: SoakResource[] = [
      ...Array.from({ length: options.autoResources }, (_, i) => ({ id: `auto-${i}`, role: `soak${tag}_auto${i}`, needsApproval: false })),
      ...Array.from({ length: options.approvalResources }, (_, i) => ({ id: `gated-${i}`, role: `soak${tag}_gated${i}`, needsApproval: true })),
    ];
    const accounts = Array.from({ length: options.people }, (_, i) => `soak${tag}_u${i}`);
    cleanups.push(() => dropRoles(resources.map((r) => r.role), accounts));
    await createRoles(targetDb.url, resources, accounts);

    const redis = await startProductionRedis();
    cleanups.push(() => redis.close());
    const slack = await startSoakSlack();
    cleanups.push(() => slack.close());
    const dir = mkdtempSync(join(tmpdir(), 'stint-soak-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const policyPath = join(dir, 'stint.yaml');
    writeFileSync(policyPath, policyYaml(resources, accounts));

    const adminToken = `soak-admin-${randomBytes(16).toString('hex')}`;
    const port = await freePort();
    const baseEnv = {
      REDIS_URL: redis.url,
      STINT_QUEUE_PREFIX: `soak-${tag}`,
      STINT_POLICY: policyPath,
      STINT_ADMIN_TOKEN: adminToken,
      SLACK_BOT_TOKEN: SLACK_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      [TARGET_ENV]: targetDb.url,
      // Serve: warnings and errors only (the spawner keeps every line in this process's memory); workers log
      // little at info and it says what the reconciler did (see spawn below).
      LOG_LEVEL: 'warn',
    };
    const withAppName = (name: string) => {
      const u = new URL(stintDb.url);
      u.searchParams.set('application_name', `stint-${name}`);
      return u.toString();
    };
    const metricsUrls = new Map<string, string>();
    const spawn = async (verb: 'serve' | 'worker', name: string) => {
      const metricsPort = verb === 'serve' ? port : await freePort();
      const env = { ...baseEnv, DATABASE_URL: withAppName(name), ...(verb === 'serve' ? { PORT: String(port) } : { METRICS_PORT: String(metricsPort), LOG_LEVEL: 'info' }) };
      const proc = await spawnStint(verb, { name, env, startTimeoutMs: 120_000 });
      running.add(proc);
      metricsUrls.set(name, `http://127.0.0.1:${metricsPort}/metrics`);
      return proc;
    };

    const serve = await spawn('serve', 'serve');
    const serveUrl = `http://127.0.0.1:${port}`;
    const workers: StintProcess[] = [];
    const retired: StintProcess[] = [];
    let workerCount = 0;
    // A replacement started while Redis restarts exits at once (`stint worker` refuses to start without Redis, as a
    // Kubernetes pod would, to be restarted): start it again, as the kubelet would, instead of ending the soak.
    const startWorker = async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          const worker = await spawn('worker', `worker-${++workerCount}`);
          workers.push(worker);
          return worker;
        } catch (err) {
          if (attempt >= 10 || !/does not answer/.test(String(err))) throw err;
          await new Promise((resolve) => setTimeout(resolve, 2_000));
        }
      }
    };
    await Promise.all(Array.from({ length: options.workers }, () => startWorker()));

    const mint = async (personId: string): Promise<string> => {
      const res = await fetch(`${serveUrl}/api/v1/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ for: personId, label: 'soak' }),
      });
      const body = (await res.json()) as { token?: string };
      if (res.status !== 201 || !body.token) throw new Error(`token for ${personId}: HTTP ${res.status} ${JSON.stringify(body)}`);
      return body.token;
    };
    const people: SoakPerson[] = accounts.map((account, i) => ({ id: `p${i}`, slackUserId: `USOAK${i}`, account, token: '' }));
    for (let i = 0; i < people.length; i += 16) {
      await Promise.all(people.slice(i, i + 16).map(async (p) => void (p.token = await mint(p.id))));
    }
    const approverTokens = await Promise.all(APPROVERS.map(mint));

    const stintPool = new pg.Pool({ connectionString: stintDb.url, application_name: 'soak-watch', options: '-c TimeZone=UTC', max: 3 });
    stintPool.on('error', () => undefined);
    cleanups.push(() => stintPool.end());
    const targetPool = new pg.Pool({ connectionString: targetDb.url, application_name: 'soak-watch', max: 2 });
    targetPool.on('error', () => undefined);
    cleanups.push(() => targetPool.end());

    return {
      serveUrl,
      adminToken,
      people,
      approverTokens,
      resources,
      stintPool,
      targetPool,
      stintDb,
      targetDb,
      redis,
      slack,
      serve,
      metricsUrl: (proc) => metricsUrls.get(proc.name)!,
      workers,
      retired,
      startWorker,
      async killWorker() {
        // The reconciler's leader when one is known (the hardest case: its sweeps stop too), else the oldest.
        const leader = workers.findIndex((w) => w.logs().some((l) => l.msg === 'reconciler: this process is the leader'));
        const [victim] = workers.splice(Math.max(0, leader), 1);
        if (!victim) throw new Error('no worker to kill');
        await victim.kill();
        running.delete(victim);
        retired.push(victim);
        const next = await startWorker();
        return { killed: victim.name, started: next.name };
      },
      async stopWorkers() {
        const all = workers.splice(0);
        await Promise.all(all.map((w) => w.stop(30_000)));
        for (const w of all) running.delete(w);
        retired.push(...all);
      },
      close: cleanup,
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

const APPROVERS = ['approver0', 'approver1', 'approver2'];

function policyYaml(resources: SoakResource[], accounts: string[]): string {
  const people = accounts.map((account, i) => `  - { id: p${i}, email: p${i}@example.com, slack: USOAK${i}, groups: [eng], accounts: { postgres: ${account} } }`);
  // Approvers decide over REST and have no Slack id: a card to each approver's DM for every pending request
  // would queue behind Slack's one message a second per channel (see the report in bench/soak.ts).
  const approvers = APPROVERS.map((id) => `  - { id: ${id}, email: ${id}@example.com, groups: [approvers] }`);
  const resourceLines = resources.map(
    (r) => `  - id: ${r.id}
    provider: { type: postgres, connection: "env:${TARGET_ENV}", role: ${r.role}, mode: membership }
    minDuration: 1s
    maxDuration: 1h
    workflow: ${r.needsApproval ? 'gated' : 'auto'}`,
  );
  return `version: 1
people:
${[...people, ...approvers].join('\n')}
timezone: UTC
resources:
${resourceLines.join('\n')}
workflows:
  auto:
    eligible: [group:eng]
    autoApprove: { conditions: [] }
  gated:
    eligible: [group:eng]
    approvers: [group:approvers]
    required: 1
    approvalWindow: 30m
`;
}

async function createRoles(targetUrl: string, resources: SoakResource[], accounts: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: targetUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const r of resources) await client.query(`CREATE ROLE "${r.role}" NOLOGIN`);
    for (const account of accounts) await client.query(`CREATE ROLE "${account}" LOGIN`);
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

/** Roles are cluster-wide: the provider's marker roles for our roles, then our own roles (as fault-rig does). */
async function dropRoles(roles: string[], accounts: string[]): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_ADMIN_URL });
  await admin.connect();
  try {
    const markers = await admin.query<{ name: string }>(
      `SELECT r.rolname AS name FROM pg_roles r JOIN pg_shdescription d ON d.objoid = r.oid AND d.classoid = 'pg_authid'::regclass
        WHERE r.rolname LIKE 'stint\\_m\\_%' AND d.description LIKE '{%' AND d.description::jsonb ->> 'role' = ANY($1)`,
      [roles],
    );
    for (const name of [...markers.rows.map((m) => m.name), ...accounts, ...roles]) await admin.query(`DROP ROLE IF EXISTS "${name}"`);
  } finally {
    await admin.end();
  }
}
