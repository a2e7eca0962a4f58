/**
 * `agents`: introspection (POST /api/v1/introspect, the policy enforcement point's question) over HTTP against the
 * real app on PostgreSQL holding 100,000 live stint_jit_ credentials (inserted in bulk SQL, each on its own ACTIVE
 * request), compared with a hello-world fastify route in the same run with the same load client
 * (bench/support/introspect-load.ts, its own process). Each introspection picks a random credential, so the 1 s
 * cache rarely answers: the figure is mostly the database read. A second run asks about 100 credentials only (a
 * resource server re-checking the agents it serves: mostly cache hits), reported as `hot*`. Goal (issue 10):
 * p99 ≤ 5 ms. `BENCH_CONCURRENCY` sets the load client's loops (default 4).
 *
 * For a quick check that it works: BENCH_AGENTS_CREDENTIALS=2000 BENCH_SECONDS=2 (do not commit those figures).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import pg from 'pg';
import { createApp } from '../src/app.ts';
import { mintJitToken } from '../src/core/jit-token.ts';
import { issueToken } from '../src/core/manage-tokens.ts';
import { createLogger } from '../src/logger.ts';
import { parsePolicy } from '../src/policy/index.ts';
import { createTestDatabase } from '../test/support/test-database.ts';

export const name = 'agents';

const CREDENTIALS = Number(process.env.BENCH_AGENTS_CREDENTIALS ?? 100_000);
const BATCH = 10_000;

const POLICY = `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [dev] }
timezone: UTC
resources:
  - { id: "data:write", provider: { type: token }, maxDuration: 2h, workflow: auto }
workflows:
  auto: { eligible: [group:dev] }
serviceAccounts:
  - { id: svc-agent, owner: alice, maxJitDuration: 2h, resources: ["data:write"] }
  - { id: svc-orders-api, owner: alice, maxJitDuration: 15m, resources: ["data:write"] }
`;

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  inactive: number;
  concurrency: number;
}

function load(args: string[]): Promise<LoadResult> {
  const client = fileURLToPath(new URL('./support/introspect-load.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', client, ...args], { timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`load client failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as LoadResult);
    });
  });
}

/** N ACTIVE requests of svc-agent, each with its live credential, in batches of bulk SQL; returns the raw values. */
async function seed(databaseUrl: string, count: number): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const values: string[] = [];
  try {
    for (let start = 0; start < count; start += BATCH) {
      const minted = Array.from({ length: Math.min(BATCH, count - start) }, () => mintJitToken());
      values.push(...minted.map((m) => m.token));
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO "Request" ("id", "requesterId", "requesterKind", "createdBy", "scopes", "workflow", "reason", "durationSec", "status",
                                "required", "via", "createdAt", "decidedAt", "activatedAt", "expiresAt", "nextActionAt", "policyVersion")
         SELECT 'jit_bench_' || i, 'svc-agent', 'service', 'svc-agent', ARRAY['data:write'], 'auto', 'bench', 7200, 'ACTIVE',
                0, 'api', now(), now(), now(), now() + interval '2 hours', now() + interval '2 hours', 'bench'
           FROM generate_series($1::int, $2::int) AS i`,
        [start, start + minted.length - 1],
      );
      await client.query(
        `INSERT INTO "JitCredential" ("requestId", "principalId", "hash", "prefix", "scopes", "expiresAt")
         SELECT 'jit_bench_' || (t.ord - 1 + $3::int), 'svc-agent', t.hash, t.prefix, ARRAY['data:write'], now() + interval '2 hours'
           FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(hash, prefix, ord)`,
        [minted.map((m) => m.hash), minted.map((m) => m.prefix), start],
      );
      await client.query('COMMIT');
    }
    await client.query('ANALYZE "Request"; ANALYZE "JitCredential"');
  } finally {
    await client.end();
  }
  return values;
}

export async function run(): Promise<Record<string, number>> {
  const db = await createTestDatabase();
  const policy = parsePolicy(POLICY, 'bench-agents.yaml');
  const app = await createApp({ env: { DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'silent' }, overrides: { policy, logger: createLogger('silent') } });
  const hello = Fastify();
  hello.get('/hello', async () => ({ hello: 'world' }));
  const dir = await mkdtemp(join(tmpdir(), 'stint-bench-agents-'));
  try {
    const seeded = performance.now();
    const values = await seed(db.url, CREDENTIALS);
    const seedSeconds = (performance.now() - seeded) / 1000;
    const tokensFile = join(dir, 'credentials.txt');
    await writeFile(tokensFile, values.join('\n'));
    // A resource server asks about the agents it serves again and again: 100 live credentials, mostly cache hits.
    const hotFile = join(dir, 'hot.txt');
    await writeFile(hotFile, values.slice(0, 100).join('\n'));
    const clock = { now: () => new Date() };
    const rs = (await issueToken({ ownerId: 'svc-orders-api', issuedBy: 'bench', scopes: ['introspect'] }, { tokens: app.store, clock, policy })).token;
    const base = await app.listen();
    const helloBase = await hello.listen({ port: 0, host: '127.0.0.1' });

    const baseline = await load(['hello', helloBase]);
    const stint = await load(['introspect', base, rs, tokensFile]);
    const hot = await load(['introspect', base, rs, hotFile]);
    if (stint.errors + hot.errors > 0 || baseline.errors > 0) throw new Error(`load errors: stint ${stint.errors + hot.errors}, hello ${baseline.errors}`);
    if (stint.inactive + hot.inactive > 0) throw new Error(`${stint.inactive + hot.inactive} introspections of live credentials answered inactive`);
    const figures = {
      credentials: CREDENTIALS,
      introspectRps: Math.round(stint.rps),
      introspectP50Ms: round(stint.p50),
      introspectP99Ms: round(stint.p99),
      helloWorldRps: Math.round(baseline.rps),
      helloWorldP99Ms: round(baseline.p99),
      ratioToHelloWorld: round(stint.rps / baseline.rps, 4),
      hotIntrospectRps: Math.round(hot.rps),
      hotIntrospectP99Ms: round(hot.p99),
      hotRatioToHelloWorld: round(hot.rps / baseline.rps, 4),
      concurrency: stint.concurrency,
      seedCredentialsPerSec: Math.round(CREDENTIALS / seedSeconds),
    };
    console.log(
      `agents: ${figures.introspectRps} introspections/s (p99 ${figures.introspectP99Ms} ms, goal ≤ 5) over ${CREDENTIALS} credentials ` +
        `vs hello-world ${figures.helloWorldRps}/s → ratio ${figures.ratioToHelloWorld}; 100 hot credentials (cache): ` +
        `${figures.hotIntrospectRps}/s, p99 ${figures.hotIntrospectP99Ms} ms, ratio ${figures.hotRatioToHelloWorld}`,
    );
    return figures;
  } finally {
    await hello.close();
    await app.close();
    await rm(dir, { recursive: true, force: true });
    await db.drop();
  }
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));
