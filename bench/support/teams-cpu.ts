/**
 * How much of the machine something other than the bench used during a measured phase: the cores are shared, and
 * an open-loop run that loses CPU to a neighbour shows the neighbour, not Stint. Reads Linux /proc (100 Hz ticks):
 * the machine's busy time minus the bench's own (this process and the children it waited for, the server under
 * test, and the PostgreSQL backends serving its database). Elsewhere it reports NaN.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const TICKS_PER_S = 100;

function machineBusyTicks(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return user! + nice! + system! + irq! + softirq! + (steal ?? 0);
}

/** utime + stime (+ reaped children's with `children`) of one process, in ticks; 0 once it is gone. */
function processTicks(pid: number, children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    // After the ")": state is field 3, so utime (14) is index 11, stime 12, cutime 13, cstime 14.
    return f[11]! + f[12]! + (children ? f[13]! + f[14]! : 0);
  } catch {
    return 0;
  }
}

export interface CpuSnapshot {
  at: number;
  busy: number;
  /** Ticks of this process with its reaped children. */
  self: number;
  /** Ticks of each other process of the bench (the server under test, the database backends). */
  pids: Map<number, number>;
}

export function cpuSnapshot(pids: number[]): CpuSnapshot {
  try {
    return { at: performance.now(), busy: machineBusyTicks(), self: processTicks(process.pid, true), pids: new Map(pids.map((pid) => [pid, processTicks(pid)])) };
  } catch {
    return { at: performance.now(), busy: Number.NaN, self: Number.NaN, pids: new Map() };
  }
}

/**
 * Percent of all cores used by others between two snapshots (0–100). The bench's processes are those of `after`
 * (a database backend opened during the phase counts from zero).
 */
export function otherCpuPercent(before: CpuSnapshot, after: CpuSnapshot): number {
  const capacity = ((after.at - before.at) / 1000) * TICKS_PER_S * cpus().length;
  let own = after.self - before.self;
  for (const [pid, ticks] of after.pids) own += ticks - (before.pids.get(pid) ?? 0);
  return Math.max(0, (100 * (after.busy - before.busy - own)) / capacity);
}
