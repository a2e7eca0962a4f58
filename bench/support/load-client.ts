import { runLoad } from './run-load.ts';
/**
 * A load generator in its own process (so it does not share the server's event loop): runs one scenario from
 * CONCURRENCY loops for SECONDS and prints `{rps, p50, p99, errors}` as JSON on stdout.
 * Usage: load-client.ts <scenario: hello|create-approve> <baseUrl> [requesterToken approverToken scope]
 */
const [scenario, base, requester, approver, scope] = process.argv.slice(2) as [string, string, string?, string?, string?];
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);

async function post(path: string, token: string, body: unknown): Promise<{ id: string; status: string }> {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; status: string };
}

const scenarios: Record<string, () => Promise<void>> = {
  async hello() {
    await (await fetch(`${base}/hello`)).json();
  },
  async 'create-approve'() {
    const created = await post('/api/v1/credentials/jit', requester!, { reason: 'bench', scopes: [scope], duration: '1h' });
    const approved = await post(`/api/v1/credentials/jit/${created.id}/approve`, approver!, {});
    if (approved.status !== 'APPROVED') throw new Error(`expected APPROVED, got ${approved.status}`);
  },
};

const work = scenarios[scenario];
if (!work) throw new Error(`unknown scenario ${scenario}`);
process.stdout.write(JSON.stringify(await runLoad(work, { seconds: SECONDS, concurrency: CONCURRENCY })) + '\n');
