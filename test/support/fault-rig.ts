/**
 * The set-up every fault test (test/e2e/faults) shares: its own Stint database, its own target database whose
 * role is really granted (postgres provider, `mode: membership`, one login per person so grants never share a
 * membership), its own redis-server and queue prefix, a policy file that auto-approves short grants, and an
 * in-process app whose REST API creates the requests (its timers go to the same Redis). Workers are real
 * `stint worker` processes. Afterwards the invariants are checked from the outside: SQL on the target
 * (pg_auth_members), the request rows, the audit events and the audit chain.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createApp, type App } from '../../src/app.ts';
import { verifyChain, type VerifyResult } from '../../src/audit/verify-chain.ts';
import type { AuditRecord } from '../../src/core/ports.ts';
import { createLogger } from '../../src/logger.ts';
import { spawnStint, stopAllStintProcesses, type StintProcess } from './stint-process.ts';
import { TEST_DATABASE_ADMIN_URL, createTestDatabase, type TestDatabase } from './test-database.ts';
import { startTestRedis, type TestRedis } from './test-redis.ts';

/** DESIGN.md invariant 1: the reconcile interval (15 s) plus 5 s. */
export const EXPIRY_BOUND_MS = 20_000;
export const TARGET_ENV = 'STINT_FAULT_TARGET_URL';
/** The escalating workflow of `createPending`: steps after 3 s and 6 s, window 40 s. */
export const ESCALATION_STEPS_S = [3, 6];
export const APPROVAL_WINDOW_S = 40;
const ADMIN_TOKEN = `fault-admin-${randomBytes(12).toString('hex')}`;
const RESOURCE = 'target-db';
const ESCALATING_RESOURCE = 'escalating-db';

export interface RequestRow {
  id: string;
  status: string;
  requesterId: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  /** The grant lease (core/lease.ts): who calls the providers for this request, and until when. */
  leaseOwner: string | null;
  leaseUntil: Date | null;
}

export interface Violation {
  kind: 'outlived-expiry' | 'revoked-while-granted';
  requestId: string;
  account: string;
  at: Date;
  detail: string;
}

export interface InvariantWatch {
  /** Stops polling; resolves with every violation seen (a test expects `[]`). */
  stop(): Promise<Violation[]>;
  readonly samples: number;
}

export interface FaultRig {
  stintDb: TestDatabase;
  targetDb: TestDatabase;
  /** Admin session on the target database, direct (never through a test proxy). */
  target: pg.Client;
  redis: TestRedis;
  prefix: string;
  role: string;
  app: App;
  /** The environment of a `stint worker`; `name` goes into application_name of its Stint connections. */
  workerEnv(name: string): Record<string, string>;
  /** A real `stint worker`, or with `verb: 'all'` a `stint all` (HTTP on a free port, workers, reconciler). */
  startWorker(name: string, verb?: 'worker' | 'all'): Promise<StintProcess>;
  /** The person the next created request is for. */
  nextPerson(): string;
  /** Creates `count` auto-approved requests of `duration` over REST, each for a person of its own. */
  createRequests(count: number, duration: string): Promise<string[]>;
  /**
   * Creates a request of `duration` that waits for the `approver` person, over REST: its workflow escalates at
   * ESCALATION_STEPS_S after creation and times out at APPROVAL_WINDOW_S.
   */
  createPending(duration: string): Promise<string>;
  rows(ids: string[]): Promise<RequestRow[]>;
  /** Accounts that hold the granted role right now (pg_auth_members on the target). */
  members(): Promise<Set<string>>;
  accountOf(personId: string): string;
  audit(ids?: string[]): Promise<AuditRecord[]>;
  /** action → count, per request. */
  auditCounts(ids: string[]): Promise<Map<string, Record<string, number>>>;
  verifyAudit(): Promise<VerifyResult>;
  /** For failure messages: the requests' statuses and leases, and the last warnings and errors of every worker. */
  diagnostics(ids: string[]): Promise<string>;
  /**
   * Polls rows and memberships until stopped, recording breaches of invariant 5 (REVOKED while still granted)
   * and, unless `expiryBound: false` (a provider that is down on purpose), of invariant 1.
   */
  watch(ids: string[], options?: { intervalMs?: number; expiryBound?: boolean }): InvariantWatch;
  close(): Promise<void>;
}

export interface FaultRigOptions {
  /** People (one login role each) the rig can hand out. @defaultValue 12 */
  people?: number;
  /** The target URL the workers are given (e.g. through a proxy); the rig's own checks stay direct. */
  workerTargetUrl?: (directUrl: string) => string;
  /** Redis with an append-only file, so a restart keeps the timers (production settings). */
  redisAppendOnly?: boolean;
  /** Where the Stint database lives. @defaultValue a fresh database on the shared server (createTestDatabase) */
  stintDatabase?: () => Promise<TestDatabase>;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs: number, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function openFaultRig(options: FaultRigOptions = {}): Promise<FaultRig> {
  const prefix = `f${randomBytes(4).toString('hex')}_`;
  const peopleCount = options.people ?? 12;
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  const cleanup = async () => {
    await stopAllStintProcesses();
    for (const step of cleanups.splice(0).reverse()) await Promise.resolve().then(step).catch(() => undefined);
  };

  try {
    const stintDb = await (options.stintDatabase ?? createTestDatabase)();
    cleanups.push(() => stintDb.drop());
    const targetDb = await createTestDatabase();
    cleanups.push(() => targetDb.drop());
    const target = new pg.Client({ connectionString: targetDb.url, application_name: 'fault-rig' });
    target.on('error', () => undefined);
    await target.connect();
    cleanups.push(() => target.end());

    const role = `${prefix}app`;
    const accounts = Array.from({ length: peopleCount }, (_, i) => `${prefix}u${i}`);
    cleanups.push(() => dropRoles(role, accounts));
    await target.query(`CREATE ROLE "${role}" NOLOGIN`);
    for (const account of accounts) await target.query(`CREATE ROLE "${account}" LOGIN`);

    const redis = await startTestRedis({ appendOnly: options.redisAppendOnly });
    cleanups.push(() => redis.close());
    const queuePrefix = `fault-${prefix.slice(0, -1)}`;

    const dir = mkdtempSync(join(tmpdir(), 'stint-fault-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const policyPath = join(dir, 'stint.yaml');
    writeFileSync(policyPath, policyYaml(role, accounts));
    const workerTargetUrl = options.workerTargetUrl ? options.workerTargetUrl(targetDb.url) : targetDb.url;

    const baseEnv = {
      REDIS_URL: redis.url,
      STINT_QUEUE_PREFIX: queuePrefix,
      STINT_POLICY: policyPath,
      STINT_ADMIN_TOKEN: ADMIN_TOKEN,
      [TARGET_ENV]: workerTargetUrl,
    };
    const app = await createApp({
      env: { ...baseEnv, DATABASE_URL: withAppName(stintDb.url, 'fault-rig-app'), [TARGET_ENV]: targetDb.url, LOG_LEVEL: 'silent' },
      overrides: { logger: createLogger('silent'), watchPolicy: false },
    });
    cleanups.push(() => app.close());
    await app.startBackground({ workers: false });

    // A second session on the Stint database for the watch and the row reads (the app's pool may be busy).
    // A pool, not one client: it reconnects by itself after a test restarted or cut the database.
    const stint = new pg.Pool({ connectionString: stintDb.url, application_name: 'fault-rig', options: '-c TimeZone=UTC', max: 2 });
    stint.on('error', () => undefined);
    cleanups.push(() => stint.end());

    let nextPerson = 0;
    const workers: StintProcess[] = [];
    const watches = new Set<InvariantWatch>();
    cleanups.push(() => Promise.all([...watches].map((w) => w.stop())));
    const accountOf = (personId: string) => `${prefix}u${personId.slice(1)}`;
    const create = async (resource: string, duration: string, expected: string): Promise<string> => {
      if (nextPerson >= peopleCount) throw new Error(`the rig has only ${peopleCount} people; open it with more`);
      const identityId = `p${nextPerson++}`;
      const response = await app.server.inject({
        method: 'POST',
        url: '/api/v1/credentials/jit',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        payload: JSON.stringify({ identityId, reason: 'fault test', scopes: [resource], duration }),
      });
      const body = JSON.parse(response.body) as { id?: string; status?: string };
      if (response.statusCode !== 201 || body.status !== expected || !body.id) {
        throw new Error(`create for ${identityId} answered ${response.statusCode}: ${response.body}`);
      }
      return body.id;
    };

    const rows = async (ids: string[]) =>
      (
        await stint.query<RequestRow>('SELECT "id", "status", "requesterId", "expiresAt", "revokedAt", "leaseOwner", "leaseUntil" FROM "Request" WHERE "id" = ANY($1) ORDER BY "id"', [ids])
      ).rows;
    const members = async () =>
      new Set(
        (
          await target.query<{ account: string }>(
            `SELECT u.rolname AS account FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = $1`,
            [role],
          )
        ).rows.map((r) => r.account),
      );
    const audit = async (ids?: string[]) => {
      const wanted = ids ? new Set(ids) : undefined;
      const events: AuditRecord[] = [];
      for await (const e of app.store.streamAudit(0n)) if (!wanted || (e.requestId && wanted.has(e.requestId))) events.push(e);
      return events;
    };

    const rig: FaultRig = {
      stintDb,
      targetDb,
      target,
      redis,
      prefix,
      role,
      app,
      workerEnv: (name) => ({
        ...baseEnv,
        DATABASE_URL: withAppName(stintDb.url, `stint-${name}`),
        LOG_LEVEL: 'info',
        // Any free port: the banner names it (see metricsUrl).
        METRICS_PORT: '0',
      }),
      async startWorker(name, verb = 'worker') {
        const env = rig.workerEnv(name);
        const worker = await spawnStint(verb, { name, env: verb === 'all' ? { ...env, PORT: '0' } : env });
        workers.push(worker);
        return worker;
      },
      nextPerson: () => `p${nextPerson}`,
      async createRequests(count, duration) {
        const ids: string[] = [];
        for (let i = 0; i < count; i++) ids.push(await create(RESOURCE, duration, 'APPROVED'));
        return ids;
      },
      createPending: (duration) => create(ESCALATING_RESOURCE, duration, 'PENDING'),
      rows,
      members,
      accountOf,
      audit,
      async auditCounts(ids) {
        const counts = new Map<string, Record<string, number>>(ids.map((id) => [id, {}]));
        for (const e of await audit(ids)) {
          const c = counts.get(e.requestId!)!;
          c[e.action] = (c[e.action] ?? 0) + 1;
        }
        return counts;
      },
      verifyAudit: () => verifyChain(app.store.streamAudit(0n)),
      async diagnostics(ids) {
        const lines = (await rows(ids).catch(() => [])).map((r) => `  ${r.id} ${r.status} expiresAt=${r.expiresAt?.toISOString()} lease=${r.leaseUntil?.toISOString() ?? '-'}`);
        for (const w of workers) {
          const noisy = w.logs().filter((l) => (l.level ?? 0) >= 40).slice(-15);
          lines.push(`${w.name} (${w.running() ? 'running' : 'exited'}), last warnings/errors:`, ...noisy.map((l) => `  ${JSON.stringify(l).slice(0, 400)}`));
          // A process that died says why outside its JSON log (an uncaught exception's stack on stderr).
          const raw = w.output().split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
          if (!w.running() && raw.length > 0) lines.push(`${w.name} other output:`, ...raw.slice(-25).map((l) => `  ${l.slice(0, 400)}`));
        }
        return lines.join('\n');
      },
      watch(ids, { intervalMs = 200, expiryBound = true } = {}) {
        const violations: Violation[] = [];
        let samples = 0;
        let stopped = false;
        const loop = (async () => {
          while (!stopped) {
            try {
              // Rows first, then memberships: a request read as REVOKED must have no membership read after it.
              const seen = await rows(ids);
              const held = await members();
              const at = new Date();
              samples++;
              for (const r of seen) {
                const account = accountOf(r.requesterId);
                if (!held.has(account)) continue;
                if (r.status === 'REVOKED') {
                  violations.push({ kind: 'revoked-while-granted', requestId: r.id, account, at, detail: `REVOKED at ${r.revokedAt?.toISOString()} but ${account} still holds ${role}` });
                }
                if (expiryBound && r.expiresAt && at.getTime() > r.expiresAt.getTime() + EXPIRY_BOUND_MS) {
                  violations.push({ kind: 'outlived-expiry', requestId: r.id, account, at, detail: `${account} holds ${role} ${at.getTime() - r.expiresAt.getTime()} ms after expiresAt (status ${r.status})` });
                }
              }
            } catch {
              // a failed sample (e.g. the test just restarted something) is retried at the next interval
            }
            await new Promise((r) => setTimeout(r, intervalMs));
          }
        })();
        const watch: InvariantWatch = {
          get samples() {
            return samples;
          },
          async stop() {
            stopped = true;
            watches.delete(watch);
            await loop;
            return violations;
          },
        };
        watches.add(watch);
        return watch;
      },
      close: cleanup,
    };
    return rig;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * Waits until every request is REVOKED and none of their accounts holds the role, then checks the audit chain. Returns the
 * rows (with revokedAt) for timing assertions.
 */
export async function expectAllRevoked(rig: FaultRig, ids: string[], timeoutMs: number): Promise<RequestRow[]> {
  const rows = await waitFor(
    `${ids.length} requests to be REVOKED`,
    async () => {
      const r = await rig.rows(ids);
      return r.length === ids.length && r.every((x) => x.status === 'REVOKED') ? r : undefined;
    },
    timeoutMs,
  ).catch(async (err: unknown) => {
    throw new Error(`${String(err)}\n${await rig.diagnostics(ids)}`);
  });
  const held = await rig.members();
  const stillHeld = rows.map((r) => rig.accountOf(r.requesterId)).filter((account) => held.has(account));
  if (stillHeld.length > 0) throw new Error(`all REVOKED, yet these accounts still hold the role: ${stillHeld.join(', ')}`);
  const chain = await rig.verifyAudit();
  if (!chain.ok) throw new Error(`audit chain broken at seq ${chain.brokenSeq}: ${chain.reason}`);
  return rows;
}

function policyYaml(role: string, accounts: string[]): string {
  const people = accounts.map((account, i) => `  - { id: p${i}, email: p${i}@example.com, groups: [eng], accounts: { postgres: ${account} } }`).join('\n');
  return `version: 1
people:
${people}
  - { id: approver, email: approver@example.com, groups: [approvers] }
  - { id: lead, email: lead@example.com, groups: [leads] }
timezone: UTC
resources:
  - id: ${RESOURCE}
    provider: { type: postgres, connection: "env:${TARGET_ENV}", role: ${role}, mode: membership }
    minDuration: 1s
    maxDuration: 1h
    workflow: auto
  - id: ${ESCALATING_RESOURCE}
    provider: { type: postgres, connection: "env:${TARGET_ENV}", role: ${role}, mode: membership }
    minDuration: 1s
    maxDuration: 1h
    workflow: escalating
workflows:
  auto:
    eligible: [group:eng]
    autoApprove: { conditions: [] }
  escalating:
    eligible: [group:eng]
    approvers: [group:approvers]
    required: 1
    approvalWindow: ${APPROVAL_WINDOW_S}s
    escalation:
${ESCALATION_STEPS_S.map((s, i) => `      - { after: ${s}s, notify: [${i === 0 ? 'person:approver' : 'group:leads'}] }`).join('\n')}
`;
}

function withAppName(url: string, name: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
}

/** Roles are cluster-wide: drop the provider's marker roles for our role, then the test's own roles. */
async function dropRoles(role: string, accounts: string[]): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_ADMIN_URL });
  await admin.connect();
  try {
    const markers = await admin.query<{ name: string }>(
      `SELECT r.rolname AS name FROM pg_roles r JOIN pg_shdescription d ON d.objoid = r.oid AND d.classoid = 'pg_authid'::regclass
        WHERE r.rolname LIKE 'stint\\_m\\_%' AND d.description LIKE '{%' AND d.description::jsonb ->> 'role' = $1`,
      [role],
    );
    for (const name of [...markers.rows.map((m) => m.name), ...accounts, role]) await admin.query(`DROP ROLE IF EXISTS "${name}"`);
  } finally {
    await admin.end();
  }
}
