/**
 * `api`: create + approve round trips over REST on PostgreSQL (two HTTP calls, two transactions, three audit
 * events each), against a hello-world route on the same framework in the same run. The load comes from
 * bench/support/load-client.ts in a separate process, the same for both.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { createApp } from '../src/app.ts';
import { issueToken } from '../src/core/manage-tokens.ts';
import { createLogger } from '../src/logger.ts';
import { parsePolicy } from '../src/policy/index.ts';
import { createTestDatabase } from '../test/support/test-database.ts';

export const name = 'api';

const POLICY = `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [dev] }
  - { id: bob, email: bob@example.com, groups: [ops] }
timezone: UTC
resources:
  - { id: orders-db, provider: { type: postgres, connection: "env:X", role: r }, maxDuration: 4h, workflow: one-ops }
workflows:
  one-ops: { eligible: [group:dev], approvers: [group:ops], required: 1 }
`;

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  concurrency: number;
}

/** Runs bench/support/load-client.ts in its own process, so load generation does not steal the server's loop. */
function load(args: string[]): Promise<LoadResult> {
  const client = fileURLToPath(new URL('./support/load-client.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', client, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`load client failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as LoadResult);
    });
  });
}

export async function run(): Promise<Record<string, number>> {
  const db = await createTestDatabase();
  const policy = parsePolicy(POLICY, 'bench-policy.yaml');
  const app = await createApp({ env: { DATABASE_URL: db.url, PORT: '0', LOG_LEVEL: 'silent' }, overrides: { policy, logger: createLogger('silent') } });
  const hello = Fastify();
  hello.get('/hello', async () => ({ hello: 'world' }));
  try {
    const base = await app.listen();
    const helloBase = await hello.listen({ port: 0, host: '127.0.0.1' });
    const clock = { now: () => new Date() };
    const alice = (await issueToken({ ownerId: 'alice', issuedBy: 'bench' }, { tokens: app.store, clock, policy })).token;
    const bob = (await issueToken({ ownerId: 'bob', issuedBy: 'bench' }, { tokens: app.store, clock, policy })).token;

    const baseline = await load(['hello', helloBase]);
    const stint = await load(['create-approve', base, alice, bob, 'orders-db']);
    if (stint.errors > 0 || baseline.errors > 0) throw new Error(`load errors: stint ${stint.errors}, hello ${baseline.errors}`);
    const figures = {
      createApproveRps: Math.round(stint.rps),
      p50Ms: round(stint.p50),
      p99Ms: round(stint.p99),
      helloWorldRps: Math.round(baseline.rps),
      helloWorldP99Ms: round(baseline.p99),
      ratioToHelloWorld: round(stint.rps / baseline.rps, 4),
      concurrency: stint.concurrency,
    };
    console.log(`api: ${figures.createApproveRps} create+approve/s (p99 ${figures.p99Ms} ms) vs hello-world ${figures.helloWorldRps}/s → ratio ${figures.ratioToHelloWorld}`);
    return figures;
  } finally {
    await hello.close();
    await app.close();
    await db.drop();
  }
}

const round = (n: number, digits = 2) => Number(n.toFixed(digits));
