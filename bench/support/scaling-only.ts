/**
 * The soak's scaling phase alone (bench/load/scaling.ts) on a fresh soak stack, without the 10-minute load before
 * it and without writing bench/results.json: `npx tsx bench/support/scaling-only.ts [N]` (N requests per burst,
 * default 300). Prints grants/s and revocations/s with 1 and 2 workers and PostgreSQL commits per grant+revoke —
 * the quick check of a change to the per-transition cost (issue 11). About 3–4 minutes on 2 cores.
 */
import { measureScaling } from '../load/scaling.ts';
import { startSoakStack } from '../load/soak-stack.ts';

const n = Number(process.argv[2] ?? 300);
// Every burst needs n free person+resource pairs of its own (two bursts), over 4 auto-approved resources.
const stack = await startSoakStack({ people: Math.ceil((2 * n) / 4) + 2, autoResources: 4, approvalResources: 0, workers: 1 });
try {
  console.log(JSON.stringify(await measureScaling(stack, n, (line) => console.log(line))));
} finally {
  await stack.close();
}
process.exit(0);
