/**
 * The reconciler loop: at start-up and every interval (default 15 s), the leader sweeps every request whose
 * next action is due (core/reconcile-due.ts) and re-sets the timers of grants ending soon. Not a BullMQ
 * repeatable job on purpose: FLUSHALL would delete it. Non-leaders try to take the lock every 2 s, so a dead
 * leader is replaced within seconds. A row found leased by a worker is tried again every second beside the rest of
 * the sweep (for 8 s, then by ticks a second apart), so a worker killed mid-revoke costs its lease's remaining
 * seconds, not the length of a sweep working off a backlog, nor a whole interval. Every minute the leader
 * also runs the drift and orphan sweeps (core/sweep-drift.ts, core/sweep-orphans.ts), once a day the approvers' digest (core/send-digest.ts), and each
 * sweep reminds the reviewers of break-glass uses left unacknowledged for a day (core/remind-reviews.ts) and
 * revokes grants idle past their resource's idleTimeout (core/sweep-idle.ts, beside the tick).
 */
import type { Logger } from 'pino';
import type { DigestSender, GrantPorts } from '../core/ports.ts';
import { sendDigest } from '../core/send-digest.ts';
import { reconcileDue } from '../core/reconcile-due.ts';
import { remindReviews } from '../core/remind-reviews.ts';
import { sweepDrift } from '../core/sweep-drift.ts';
import type { SqlDriver } from '../store/sql-driver.ts';
import { sweepIdle } from '../core/sweep-idle.ts';
import { sweepOrphans } from '../core/sweep-orphans.ts';
import { leaderCandidate, type Leadership } from './leader-lock.ts';
import type { JobMetrics } from './metrics.ts';

/** How soon a sweep that met leased rows looks again (a claim attempt per leased row; cheap). */
const BUSY_RETRY_MS = 1_000;
/** How long a sweep keeps trying a leased row beside its other work: a dead worker's lease (6 s) lapses within it. */
const BUSY_RETRY_FOR_MS = 8_000;
/**
 * How often a process that is not the leader tries the lock (one pg_try_advisory_lock; cheap): a dead leader's
 * session ends with it, so its successor takes over within this, not a whole interval — invariant 1 has no room.
 */
const LEADER_RETRY_MS = 2_000;

export interface ReconcilerOptions {
  ports: GrantPorts;
  openSession: () => Promise<SqlDriver>;
  logger: Logger;
  metrics?: JobMetrics;
  /** @defaultValue 15000 */
  intervalMs?: number;
  /** Rows overdue by less than this are left to their queue jobs (see SweepOptions.graceMs). @defaultValue 2000 */
  graceMs?: number;
  /** How often the leader also runs the drift sweep (providers' check()). @defaultValue 60000 */
  driftIntervalMs?: number;
  /** Where the approvers' daily digest goes (chat); absent: no digest. */
  digest?: DigestSender;
}

export interface Reconciler {
  isLeader(): boolean;
  /** Runs one tick now (tests; also used at start-up). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export function startReconciler(options: ReconcilerOptions): Reconciler {
  const { ports, logger, metrics } = options;
  const candidate = leaderCandidate(options.openSession);
  let leadership: Leadership | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  let retick: NodeJS.Timeout | undefined;
  let lastDrift = 0;
  /** The drift and orphan sweeps run beside the ticks (they call every provider; sweeps must not wait for them). */
  let drifting: Promise<void> | null = null;
  /** The idle sweep (providers' activity()), also beside the ticks; one at a time. */
  let idling: Promise<void> | null = null;
  /** The day whose digest this process sent or found sent: later ticks that day cost nothing. */
  let digestDay: string | undefined;

  const work = async () => {
    if (stopped) return;
    if (leadership && !(await leadership.alive())) {
      logger.warn('reconciler lost its leader session; will try to take the lock again');
      await leadership.release();
      leadership = null;
    }
    if (!leadership) {
      leadership = await candidate.tryLead();
      if (leadership) {
        logger.info('reconciler: this process is the leader');
        // A new leader first catches up with what is overdue; the provider checks can wait their minute.
        lastDrift = Date.now();
      }
    }
    if (!leadership) {
      if (!stopped) later(LEADER_RETRY_MS);
      return;
    }
    const swept = await reconcileDue(ports, {
      graceMs: options.graceMs ?? 2_000,
      horizonMs: 2 * (options.intervalMs ?? 15_000),
      busyRetry: { everyMs: BUSY_RETRY_MS, forMs: BUSY_RETRY_FOR_MS },
    });
    metrics?.sweeps.inc({ outcome: 'ok' });
    const acted = swept.escalated.length + swept.timedOut.length + swept.activated.length + swept.revoked.length + swept.failed.length;
    if (acted > 0) {
      const { escalated, timedOut, activated, revoked, failed } = swept;
      logger.info({ escalated, timedOut, activated, revoked, failed }, 'reconciler sweep acted on overdue requests');
    }
    await reviews();
    if (Date.now() - lastDrift >= (options.driftIntervalMs ?? 60_000) && !stopped && !drifting) {
      lastDrift = Date.now();
      drifting = drift().finally(() => {
        drifting = null;
      });
    }
    if (!stopped && !idling) {
      idling = idle().finally(() => {
        idling = null;
      });
    }
    if (options.digest && !stopped) await digest(options.digest);
    // Look again every second while rows are leased: a dead worker's lease (renewed up to LEASE_MS before its
    // death) lapses at a moment we do not know, and invariant 1 leaves no room to wait a whole interval.
    if (swept.busy.length > 0 && !stopped) later(BUSY_RETRY_MS);
  };

  const later = (ms: number) => {
    clearTimeout(retick);
    retick = setTimeout(() => void tick(), ms);
    retick.unref();
  };

  // Break-glass reviews nobody acknowledged: reminded once a day (the rule is in PostgreSQL; see remind-reviews.ts).
  const reviews = async () => {
    try {
      const reminded = await remindReviews(ports);
      if (reminded.length > 0) logger.info({ reminded }, 'reminded reviewers of unacknowledged break-glass uses');
    } catch (err) {
      logger.error({ err }, 'break-glass review reminders failed; retrying at the next sweep');
    }
  };

  const idle = async () => {
    try {
      const found = await sweepIdle(ports);
      if (found.revoked.length > 0) logger.info({ revoked: found.revoked }, 'idle sweep: revoked grants unused for their idleTimeout');
      if (found.errors.length > 0) logger.warn({ errors: found.errors.slice(0, 20) }, 'idle sweep: some activity could not be read');
    } catch (err) {
      logger.error({ err }, 'idle sweep failed; retrying at the next sweep');
    }
  };

  const drift = async () => {
    try {
      const found = await sweepDrift(ports);
      if (found.present.length + found.absent.length > 0) logger.warn({ present: found.present, absent: found.absent }, 'drift sweep: providers disagree with the store');
      if (found.errors.length > 0) logger.warn({ errors: found.errors.slice(0, 20) }, 'drift sweep: some checks could not run');
    } catch (err) {
      logger.error({ err }, 'drift sweep failed; retrying at the next one');
    }
    try {
      const orphans = await sweepOrphans(ports);
      if (orphans.removed.length > 0) logger.warn({ removed: orphans.removed }, 'orphan sweep: removed access Stint made for requests no longer in flight');
      if (orphans.errors.length > 0) logger.warn({ errors: orphans.errors.slice(0, 20) }, 'orphan sweep: some listings or removals could not run');
    } catch (err) {
      logger.error({ err }, 'orphan sweep failed; retrying at the next one');
    }
  };

  const digest = async (sender: DigestSender) => {
    try {
      const outcome = await sendDigest({ ...ports, digest: sender }, digestDay);
      if (outcome.kind === 'not_due') return;
      digestDay = outcome.period;
      if (outcome.kind === 'sent') logger.info({ period: outcome.period, approvers: Object.keys(outcome.approvers).length }, 'approver digest sent');
    } catch (err) {
      logger.error({ err }, 'approver digest failed; retrying at the next tick');
    }
  };

  const tick = async () => {
    // One sweep at a time: a slow sweep is not overlapped by the next tick.
    running ??= work()
      .catch((err: unknown) => {
        metrics?.sweeps.inc({ outcome: 'error' });
        logger.error({ err }, 'reconciler sweep failed; retrying at the next tick');
      })
      .finally(() => {
        running = null;
      });
    return running;
  };

  void tick();
  const timer = setInterval(() => void tick(), options.intervalMs ?? 15_000);
  timer.unref();

  return {
    isLeader: () => leadership !== null,
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(retick);
      await running;
      await drifting;
      await idling;
      await candidate.close();
      await leadership?.release();
      leadership = null;
    },
  };
}
