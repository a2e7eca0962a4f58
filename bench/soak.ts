/**
 * Soak bench (issue 11, "Load and soak"; DESIGN.md section 12 `soak`): one hour compressed into ten minutes
 * against real processes — `stint serve` (REST + Slack) and two `stint worker`s on PostgreSQL, their own
 * redis-server with production settings, the postgres provider granting real role memberships — while this
 * process generates a mixed load of 20 requests/s (signed Slack slash commands and REST; approvals, 5%
 * denials, extensions, early dones; grants of 30 s–5 min), SIGKILLs a worker every 2 minutes and restarts Redis
 * once. Then the invariants: grants past expiry + 20 s, stuck requests, the audit chain, errors; and the
 * figures: ack and revocation lag percentiles, RSS per process and its growth, the heap floor's growth, PostgreSQL commits/s, Redis
 * commands/s. Afterwards the scaling phase: grant and revoke throughput with 1 vs 2 workers.
 *
 * The driver lives in bench/load/ (run-soak.ts; knobs in soak-config.ts: SOAK_SECONDS, SOAK_RATE, …).
 * Stint runs from the sources through tsx (test/support/stint-process.ts), as the e2e tests run it.
 * The figures are written whatever the invariants say (they are the finding); the log says what failed.
 */
import { measureScaling } from './load/scaling.ts';
import { soakConfig } from './load/soak-config.ts';
import { runSoak } from './load/run-soak.ts';

export const name = 'soak';

export async function run(): Promise<Record<string, number>> {
  const config = soakConfig(process.env);
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const result = await runSoak(config, {
    log,
    after: config.scaling ? (stack) => measureScaling(stack, config.scalingGrants, log) : undefined,
  });
  for (const v of result.violations.slice(0, 20)) log(`soak VIOLATION ${v.kind} ${v.key}: ${v.detail}`);
  for (const s of result.stuck.slice(0, 20)) log(`soak STUCK ${s.id} ${s.status} expiresAt=${s.expiresAt}`);
  if (result.auditReason) log(`soak AUDIT CHAIN BROKEN: ${result.auditReason}`);
  log(`soak lock waits by event (session-samples): ${JSON.stringify(result.lockWaitsByEvent)}`);
  if (Object.keys(result.errorsByKind).length > 0) log(`soak errors by kind: ${JSON.stringify(result.errorsByKind)}`);
  for (const e of result.errorSamples.slice(0, 20)) log(`soak error: ${e}`);
  for (const e of result.stintErrors.slice(0, 20)) log(`soak stint error log: ${e}`);
  for (const line of result.diagnostics) log(`soak diagnostics: ${line}`);
  return result.figures;
}
