/**
 * The grant lease: while one worker calls a request's providers it holds a short lease on the row, renewed
 * while the work runs. A second worker (another replica, the reconciler, a duplicate job) finds it held and
 * leaves the request alone, so each provider call happens once. A worker that dies stops renewing; the lease
 * lapses within LEASE_MS and the reconciler takes over. A worker stalled longer than LEASE_MS may see its row taken
 * over; providers are idempotent, so the worst case is one repeated call. The holder's last transaction may give the
 * lease back itself (`Lease.releaseWith`), which saves the release's own commit.
 */
import { randomBytes } from 'node:crypto';
import type { AccessRequest } from '../domain/request.ts';
import type { Clock, RequestStore, StoreTx } from './ports.ts';

/**
 * Short on purpose: a worker SIGKILLed mid-call keeps the row for up to this long after its last renewal, and
 * invariant 1 allows 20 s in all. Renewed every LEASE_MS / 3 while the work runs.
 */
export const LEASE_MS = 6_000;

export type Leased<T> = { held: true; value: T } | { held: false };

export interface Lease {
  /**
   * Gives the lease back with `tx`, the holder's last transaction (its transition): renewals stop now, and no
   * release of its own follows when the work returns. Should that transaction roll back and the work still return,
   * the lease lapses within LEASE_MS; when the work throws, it is released as usual.
   */
  releaseWith(tx: StoreTx): Promise<void>;
}

type LeasePorts = { store: RequestStore; clock: Clock };

/** A fresh owner id for one run's lease. */
export function newLeaseOwner(): string {
  return randomBytes(9).toString('base64url');
}

/** Until when a lease taken (or renewed) at `now` holds. */
export function leaseEnd(now: Date): Date {
  return new Date(now.getTime() + LEASE_MS);
}

/** `work` gets the request as it stood when the lease was taken (read under the lease: no second read needed). */
export async function withLease<T>(ports: LeasePorts, requestId: string, work: (request: AccessRequest, lease: Lease) => Promise<T>): Promise<Leased<T>> {
  const owner = newLeaseOwner();
  const now = ports.clock.now();
  const claimed = await ports.store.claimRequest(requestId, owner, leaseEnd(now), now);
  if (!claimed) return { held: false };
  return { held: true, value: await holdLease(ports, requestId, owner, claimed, work) };
}

/**
 * Runs `work` under a lease `owner` already took (`claimed`: the row its claim returned — also a claim made inside a
 * transition's transaction, StoreTx.claimRequest): renews it while the work runs and gives it back afterwards.
 */
export async function holdLease<T>(ports: LeasePorts, requestId: string, owner: string, claimed: AccessRequest, work: (request: AccessRequest, lease: Lease) => Promise<T>): Promise<T> {
  const claim = () => {
    const now = ports.clock.now();
    return ports.store.claimRequest(requestId, owner, leaseEnd(now), now);
  };
  // A failed renewal cannot stop a provider call in flight; providers are idempotent, so at worst one repeats.
  let renewing: Promise<unknown> | undefined;
  const renew = setInterval(() => {
    const attempt = claim().catch(() => undefined);
    renewing = attempt;
    void attempt.finally(() => {
      if (renewing === attempt) renewing = undefined;
    });
  }, LEASE_MS / 3);
  renew.unref();
  let releasedWith = false;
  let raced = false;
  const lease: Lease = {
    async releaseWith(tx) {
      // Before the release: a renewal after it would take the free lease again. One already in flight may still land
      // after the commit; then the release of its own below runs as well.
      clearInterval(renew);
      raced = renewing !== undefined;
      await tx.releaseRequest(requestId, owner);
      releasedWith = true;
    },
  };
  let returned = false;
  try {
    const value = await work(claimed, lease);
    returned = true;
    return value;
  } finally {
    clearInterval(renew);
    if (renewing) {
      raced = true;
      await renewing;
    }
    if (!(returned && releasedWith && !raced)) await ports.store.releaseRequest(requestId, owner).catch(() => undefined);
  }
}
