/**
 * Long poll for agents that block on a decision (`GET …/:id/wait`, MCP `wait_for_decision`): answers as soon as
 * the request has left PENDING and APPROVED (APPROVED is the short moment while the grant is applied; the
 * caller wants ACTIVE, GRANT_FAILED, DENIED, …) or when the timeout passes. Decisions can land on another
 * replica, so the row is re-read (one primary-key read) every POLL_INTERVAL_MS rather than waiting on an
 * in-process event.
 */
import type { RequestStatus } from '../domain/request.ts';
import type { Actor } from './actor.ts';
import { visibleNow } from './on-call-now.ts';
import type { CorePorts } from './ports.ts';
import { presentRequest, type RequestView } from './present-request.ts';

export const POLL_INTERVAL_MS = 200;
/** No wait is longer, whatever a surface asks: proxies and clients give up at about a minute. */
export const MAX_WAIT_MS = 60_000;

/** Still moving towards an outcome; anything else is settled. */
const UNSETTLED: ReadonlySet<RequestStatus> = new Set(['PENDING', 'APPROVED']);

export interface WaitForDecisionInput {
  requestId: string;
  /** Capped by the surface (REST 60 s, MCP 50 s: MCP clients give up at about 60 s), and here at MAX_WAIT_MS. */
  timeoutMs: number;
  /** Aborted when the caller went away: the wait stops at once. */
  signal?: AbortSignal;
}

export interface WaitForDecisionResult {
  request: RequestView;
  /** False when the timeout (or the caller's abort) came first: the request is still PENDING or APPROVED. */
  settled: boolean;
}

/**
 * Real timers by default. The wall Clock port is not used for the deadline: tests freeze it, and a
 * long poll must end on time whatever the clock says.
 */
export interface Sleeper {
  /** Resolves after `ms`, or early (without throwing) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realSleeper: Sleeper = {
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};

type WaitPorts = Pick<CorePorts, 'store' | 'policy' | 'clock' | 'oncall'> & { sleeper?: Sleeper };

export function isSettled(status: RequestStatus): boolean {
  return !UNSETTLED.has(status);
}

export async function waitForDecision(actor: Actor, input: WaitForDecisionInput, ports: WaitPorts): Promise<WaitForDecisionResult> {
  const sleeper = ports.sleeper ?? realSleeper;
  // Visibility is established once, like get-request; an invisible request is NOT_FOUND before any waiting.
  const first = await visibleNow(ports.policy.current(), actor, await ports.store.getRequest(input.requestId), input.requestId, ports.clock.now(), ports.oncall);
  let request = first.request;

  // `timedOut` fires at the deadline; `finished` cancels that timer once the loop is over.
  const timedOut = new AbortController();
  const finished = new AbortController();
  const stop = input.signal ? AbortSignal.any([timedOut.signal, input.signal]) : timedOut.signal;
  const timerStop = input.signal ? AbortSignal.any([finished.signal, input.signal]) : finished.signal;
  const timer = sleeper.sleep(Math.min(Math.max(0, input.timeoutMs), MAX_WAIT_MS), timerStop).then(() => timedOut.abort());
  try {
    while (!isSettled(request.status) && !stop.aborted) {
      await sleeper.sleep(POLL_INTERVAL_MS, stop);
      if (input.signal?.aborted) break;
      // Read once more when the deadline cut the pause short: a decision that just landed still counts.
      request = (await ports.store.getRequest(request.id)) ?? request;
    }
  } finally {
    finished.abort();
    await timer;
  }
  const policy = ports.policy.current();
  const view = presentRequest(request, await ports.store.listDecisions(request.id), policy, ports.clock.now(), first.onCall.people);
  return { request: view, settled: isSettled(request.status) };
}
