/**
 * `api`: create + approve round trips over REST on PostgreSQL (two HTTP calls, two transactions, three audit
 * events each), against a hello-world route on the same framework in the same run, same load generator.
 */
import Fastify from 'fastify';
import { createApp } from '../src/app.ts';
import { issueToken } from '../src/core/manage-tokens.ts';
import { createLogger } from '../src/logger.ts';
import { parsePolicy } from '../src/policy/index.ts';
import { createTestDatabase } from '../test/support/test-database.ts';

export const name = 'api';

const CONCURRENCY = 16;
const SECONDS = 8;

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

/** Runs `work` from CONCURRENCY loops for SECONDS; returns operations/s and latency percentiles. */
async function load(work: () => Promise<void>): Promise<{ rps: number; p50: number; p99: number }> {
  const warmUntil = performance.now() + 1000;
  while (performance.now() < warmUntil) await work();
  const latencies: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await work();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) };
}

async function post(url: string, token: string, body: unknown): Promise<{ id: string; status: string }> {
  const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; status: string };
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

    const baseline = await load(async () => {
      const res = await fetch(`${helloBase}/hello`);
      await res.json();
    });
    const stint = await load(async () => {
      const created = await post(`${base}/api/v1/credentials/jit`, alice, { reason: 'bench', scopes: ['orders-db'], duration: '1h' });
      const approved = await post(`${base}/api/v1/credentials/jit/${created.id}/approve`, bob, {});
      if (approved.status !== 'APPROVED') throw new Error(`expected APPROVED, got ${approved.status}`);
    });
    const figures = {
      createApproveRps: Math.round(stint.rps),
      p50Ms: round(stint.p50),
      p99Ms: round(stint.p99),
      helloWorldRps: Math.round(baseline.rps),
      helloWorldP99Ms: round(baseline.p99),
      ratioToHelloWorld: round(stint.rps / baseline.rps, 4),
      concurrency: CONCURRENCY,
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
