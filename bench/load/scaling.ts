/**
 * Scaling phase (issue 11): grant and revoke throughput with 1 and with 2 `stint worker` processes on the same
 * stack (run after the soak, when every pair is free). For each worker count: with the workers stopped, N
 * auto-approved requests are created over REST (their grant jobs wait in Redis); then the workers start and
 * the rate is N over the spread of `activatedAt` in the rows (the first worker's start-up is not counted).
 * The workers stop (SIGTERM) once all are ACTIVE; when every grant is past its expiry they start again and the
 * revoke rate is N over the spread of `revokedAt` (the timers and the leader's start-up sweep compete for the
 * same overdue rows, as after any outage). Also reports PostgreSQL commits per grant+revoke, for sizing.
 */
import type { SoakStack } from './soak-stack.ts';
import { round } from './soak-figures.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Phase {
  grantsPerSec: number;
  revocationsPerSec: number;
  commitsPerGrant: number;
}

export async function measureScaling(stack: SoakStack, grants: number, log: (line: string) => void): Promise<Record<string, number>> {
  const pairs = stack.people.flatMap((person) => stack.resources.filter((r) => !r.needsApproval).map((resource) => ({ person, resource })));
  const n = Math.min(grants, Math.floor(pairs.length / 2));
  await stack.stopWorkers();
  const one = await phase(stack, pairs.slice(0, n), 1, log);
  const two = await phase(stack, pairs.slice(n, 2 * n), 2, log);
  return {
    scalingGrants: n,
    grantsPerSec1Worker: round(one.grantsPerSec),
    grantsPerSec2Workers: round(two.grantsPerSec),
    scalingRatio: round(two.grantsPerSec / one.grantsPerSec, 2),
    revocationsPerSec1Worker: round(one.revocationsPerSec),
    revocationsPerSec2Workers: round(two.revocationsPerSec),
    revocationScalingRatio: round(two.revocationsPerSec / one.revocationsPerSec, 2),
    pgCommitsPerGrantAndRevoke: round((one.commitsPerGrant + two.commitsPerGrant) / 2),
  };
}

async function phase(stack: SoakStack, pairs: SoakPairs, workers: number, log: (line: string) => void): Promise<Phase> {
  // Long enough that no grant expires before the last one is ACTIVE (grants come at tens per second).
  const durationSec = Math.max(60, Math.ceil(pairs.length / 10) + 30);
  const commitsBefore = await commits(stack);
  const ids: string[] = [];
  for (let i = 0; i < pairs.length; i += 16) {
    const created = await Promise.all(pairs.slice(i, i + 16).map(({ person, resource }) => create(stack, person.token, resource.id, durationSec)));
    ids.push(...created);
  }
  log(`scaling: ${ids.length} requests waiting; starting ${workers} worker(s)`);
  await Promise.all(Array.from({ length: workers }, () => stack.startWorker()));
  const active = await waitRows(stack, ids, 'ACTIVE', durationSec * 1000);
  await stack.stopWorkers();
  const spread = (values: Date[]) => (Math.max(...values.map((d) => d.getTime())) - Math.min(...values.map((d) => d.getTime()))) / 1000;
  const grantsPerSec = ids.length / Math.max(0.001, spread(active.map((r) => r.activatedAt!)));
  const lastExpiry = Math.max(...active.map((r) => r.expiresAt!.getTime()));
  await sleep(Math.max(0, lastExpiry - Date.now() + 1000));
  await Promise.all(Array.from({ length: workers }, () => stack.startWorker()));
  const revoked = await waitRows(stack, ids, 'REVOKED', 300_000);
  await stack.stopWorkers();
  const revocationsPerSec = ids.length / Math.max(0.001, spread(revoked.map((r) => r.revokedAt!)));
  const commitsPerGrant = ((await commits(stack)) - commitsBefore) / ids.length;
  log(`scaling: ${workers} worker(s): ${grantsPerSec.toFixed(1)} grants/s, ${revocationsPerSec.toFixed(1)} revocations/s`);
  return { grantsPerSec, revocationsPerSec, commitsPerGrant };
}

type SoakPairs = Array<{ person: SoakStack['people'][number]; resource: SoakStack['resources'][number] }>;

async function create(stack: SoakStack, token: string, resource: string, durationSec: number): Promise<string> {
  const res = await fetch(`${stack.serveUrl}/api/v1/credentials/jit`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'scaling burst', scopes: [resource], duration: `${durationSec}s` }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { id?: string; status?: string };
  if (res.status !== 201 || body.status !== 'APPROVED' || !body.id) throw new Error(`scaling create: HTTP ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body.id;
}

interface Row {
  status: string;
  activatedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

async function waitRows(stack: SoakStack, ids: string[], status: string, timeoutMs: number): Promise<Row[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await stack.stintPool.query<Row>('SELECT "status", "activatedAt", "expiresAt", "revokedAt" FROM "Request" WHERE "id" = ANY($1)', [ids]);
    if (rows.length === ids.length && rows.every((r) => r.status === status)) return rows;
    if (Date.now() > deadline) {
      const counts: Record<string, number> = {};
      for (const r of rows) counts[r.status] = (counts[r.status] ?? 0) + 1;
      throw new Error(`scaling: not all ${ids.length} requests ${status} after ${timeoutMs} ms: ${JSON.stringify(counts)}`);
    }
    await sleep(250);
  }
}

async function commits(stack: SoakStack): Promise<number> {
  const { rows } = await stack.stintPool.query<{ xact_commit: string }>('SELECT xact_commit FROM pg_stat_database WHERE datname = $1', [stack.stintDb.name]);
  return Number(rows[0]?.xact_commit ?? 0);
}
