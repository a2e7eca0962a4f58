/**
 * The grant lease: while one worker calls a request's providers it holds a short lease on the row, renewed
 * while the work runs. A second worker (another replica, the reconciler, a duplicate job) finds it held and
 * leaves the request alone, so each provider call happens once. A worker that dies stops renewing; the lease
 * lapses within LEASE_MS and the reconciler takes over. A worker stalled longer than LEASE_MS may see its row taken
 * over; providers are idempotent, so the worst case is one repeated call.
 */
import { randomBytes } from 'node:crypto';
import type { AccessRequest } from '../domain/request.ts';
import type { Clock, RequestStore } from './ports.ts';

/**
 * Short on purpose: a worker SIGKILLed mid-call keeps the row for up to this long after its last renewal, and
 * invariant 1 allows 20 s in all. Renewed every LEASE_MS / 3 while the work runs.
 */
export const LEASE_MS = 6_000;

export type Leased<T> = { held: true; value: T } | { held: false };

/** `work` gets the request as it stood when the lease was taken (read under the lease: no second read needed). */
export async function withLease<T>(ports: { store: RequestStore; clock: Clock }, requestId: string, work: (request: AccessRequest) => Promise<T>): Promise<Leased<T>> {
  const owner = randomBytes(9).toString('base64url');
  const claim = () => {
    const now = ports.clock.now();
    return ports.store.claimRequest(requestId, owner, new Date(now.getTime() + LEASE_MS), now);
  };
  const claimed = await claim();
  if (!claimed) return { held: false };
  // A failed renewal cannot stop a provider call in flight; providers are idempotent, so at worst one repeats.
  const renew = setInterval(() => void claim().catch(() => undefined), LEASE_MS / 3);
  renew.unref();
  try {
    return { held: true, value: await work(claimed) };
  } finally {
    clearInterval(renew);
    await ports.store.releaseRequest(requestId, owner).catch(() => undefined);
  }
}
