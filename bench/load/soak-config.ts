/**
 * The soak's knobs (issue 11, "Load and soak"), read from the environment so `npm run bench soak` runs the full
 * 10-minute version and test/e2e/soak.test.ts a short one through the same code:
 *
 *   SOAK_SECONDS        load phase length                      (600)
 *   SOAK_RATE           requests created per second            (20)
 *   SOAK_WORKERS        `stint worker` processes               (2)
 *   SOAK_KILL_EVERY_S   SIGKILL a worker this often, 0 = never (120)
 *   SOAK_FIRST_KILL_S   the first SIGKILL                      (SOAK_KILL_EVERY_S)
 *   SOAK_REDIS_AT_S     restart Redis this far into the load, 0 = never (half-way)
 *   SOAK_MIN_GRANT_S / SOAK_MAX_GRANT_S   grant durations      (30 / 300)
 *   SOAK_PEOPLE         people in the policy (default: enough free person+resource pairs for the rate)
 *   SOAK_SCALING        1 = also run the 1-vs-2-worker throughput phase (bench only; 1)
 *   SOAK_SCALING_GRANTS requests per scaling burst             (600)
 */

export interface SoakConfig {
  seconds: number;
  rate: number;
  workers: number;
  /** 0: no worker is killed. */
  killEverySec: number;
  /** When the first worker is killed (then every killEverySec). */
  firstKillSec: number;
  /** Seconds into the load when Redis is stopped and started again; 0: never. */
  redisRestartAtSec: number;
  /** How long Redis stays down. */
  redisDownMs: number;
  minGrantSec: number;
  maxGrantSec: number;
  /** What an extension adds (seconds). */
  extendBySec: number;
  people: number;
  /** Resources that auto-approve and that need an approver (one PostgreSQL role each). */
  autoResources: number;
  approvalResources: number;
  /** Shares of the created requests. */
  slackShare: number;
  approvalShare: number;
  /** Of the requests needing an approver. */
  denyShare: number;
  extendShare: number;
  doneShare: number;
  /** The invariant's bound (DESIGN.md invariant 1: reconcile interval 15 s + 5 s). */
  expiryBoundMs: number;
  /** After the load: how long every grant may take to end before the run counts what is left as stuck. */
  drainTimeoutMs: number;
  progressEverySec: number;
  scaling: boolean;
  scalingGrants: number;
}

const number = (env: Record<string, string | undefined>, key: string, fallback: number): number => {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${key}=${raw}: expected a number ≥ 0`);
  return value;
};

/** Defaults are the full run; `overrides` (the test) win over the environment. */
export function soakConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<SoakConfig> = {}): SoakConfig {
  const seconds = overrides.seconds ?? number(env, 'SOAK_SECONDS', 600);
  const rate = overrides.rate ?? number(env, 'SOAK_RATE', 20);
  const minGrantSec = overrides.minGrantSec ?? number(env, 'SOAK_MIN_GRANT_S', 30);
  const maxGrantSec = overrides.maxGrantSec ?? number(env, 'SOAK_MAX_GRANT_S', 300);
  const extendBySec = overrides.extendBySec ?? Math.max(10, Math.round(maxGrantSec / 5));
  const autoResources = overrides.autoResources ?? 4;
  const approvalResources = overrides.approvalResources ?? 2;
  // A pair is busy from its request until its grant ends: rate × mean lifetime pairs at once; keep 3× that free.
  const meanLifetimeSec = (minGrantSec + maxGrantSec) / 2 + extendBySec + 10;
  const neededPeople = Math.ceil((3 * rate * meanLifetimeSec) / (autoResources + approvalResources));
  const base: SoakConfig = {
    seconds,
    rate,
    workers: number(env, 'SOAK_WORKERS', 2),
    killEverySec: number(env, 'SOAK_KILL_EVERY_S', 120),
    firstKillSec: number(env, 'SOAK_FIRST_KILL_S', overrides.killEverySec ?? number(env, 'SOAK_KILL_EVERY_S', 120)),
    redisRestartAtSec: number(env, 'SOAK_REDIS_AT_S', Math.round(seconds / 2)),
    redisDownMs: number(env, 'SOAK_REDIS_DOWN_MS', 3_000),
    minGrantSec,
    maxGrantSec,
    extendBySec,
    people: number(env, 'SOAK_PEOPLE', Math.max(20, neededPeople)),
    autoResources,
    approvalResources,
    slackShare: 0.5,
    approvalShare: 0.3,
    denyShare: 0.05,
    extendShare: 0.15,
    doneShare: 0.15,
    expiryBoundMs: 20_000,
    drainTimeoutMs: (maxGrantSec + extendBySec) * 1000 + 90_000,
    progressEverySec: 30,
    scaling: number(env, 'SOAK_SCALING', 1) === 1,
    scalingGrants: number(env, 'SOAK_SCALING_GRANTS', 600),
  };
  const config = { ...base, ...overrides };
  if (config.minGrantSec < 1 || config.maxGrantSec < config.minGrantSec) throw new Error('grant durations: need 1 ≤ SOAK_MIN_GRANT_S ≤ SOAK_MAX_GRANT_S');
  if (config.workers < 1) throw new Error('SOAK_WORKERS: at least 1');
  return config;
}

/** How far back the watch reads request rows: a grant's longest life (approval, duration, an extension) and a margin. */
export function rowWindowMs(config: SoakConfig): number {
  return (config.maxGrantSec + config.extendBySec) * 1000 + 5 * 60_000;
}
