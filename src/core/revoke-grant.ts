/**
 * ACTIVE → REVOKING → REVOKED. The move to REVOKING (with its cause) commits first; then every scope's
 * provider revokes (ending sessions in use) and, where the access is Stint's alone, `check` must confirm it is
 * gone. Only then REVOKED (invariant 5: never marked revoked on failure). A failure keeps the request
 * REVOKING with its next attempt pushed out by the backoff (and a timer for it), counts the attempt, alerts,
 * and throws UNAVAILABLE. The provider calls run under the request's lease (core/lease.ts).
 */
import { StintError } from '../domain/errors.ts';
import type { AccessRequest, RevokeCause } from '../domain/request.ts';
import { commentOnTicket } from './comment-on-ticket.ts';
import { holdLease, leaseEnd, newLeaseOwner, type Lease } from './lease.ts';
import type { AuditInput, GrantHandleRecord, GrantPorts, StoreTx } from './ports.ts';

export async function revokeGrant(
  requestId: string,
  cause: RevokeCause,
  actorId: string,
  ports: GrantPorts,
  comment: string | null = null,
): Promise<AccessRequest> {
  const now = ports.clock.now();
  const owner = newLeaseOwner();
  // One worker at a time calls the providers; when another holds the lease it is doing this very revoke. The lease
  // is claimed in the move's own transaction (the row is locked already): one commit for both.
  const claim = (tx: StoreTx) => tx.claimRequest(requestId, owner, leaseEnd(now), now);
  const { request, claimed } = await ports.store.transaction(async (tx) => {
    const locked = await tx.lockRequest(requestId);
    if (!locked) throw new StintError('NOT_FOUND', `No request ${requestId}`, { id: requestId });
    if (locked.status === 'REVOKED') return { request: locked, claimed: null };
    if (locked.status === 'REVOKING') return { request: locked, claimed: await claim(tx) };
    if (locked.status !== 'ACTIVE' && locked.status !== 'APPROVED') {
      throw new StintError('NOT_PENDING', `This request is ${locked.status}: there is no access to revoke`, { status: locked.status });
    }
    const patch = { revokeCause: cause, nextActionAt: now };
    if (!(await tx.transition(locked.id, locked.status, 'REVOKING', patch))) {
      throw new StintError('NOT_PENDING', 'This request changed a moment ago; try again', { status: locked.status });
    }
    tx.appendAudit({ actor: actorId, action: 'grant.revoking', requestId, data: { cause, comment }, at: now });
    return { request: { ...locked, ...patch, status: 'REVOKING' as const }, claimed: await claim(tx) };
  });
  if (!claimed) return request;
  return holdLease(ports, requestId, owner, claimed, (current, lease) => completeRevoke(requestId, ports, current, lease));
}

/** Retry delay after the n-th failed revoke: 5 s doubling, about 10 minutes of attempts, then every 5 minutes. */
export function revokeRetryDelayMs(attempt: number): number {
  return Math.min(5_000 * 2 ** Math.max(0, attempt - 1), 300_000);
}

/**
 * The provider half of a revoke, for a caller holding the request's lease (revokeGrant, or an activation that
 * lost the race to a revoke). Reads the request again (`claimed`: as the lease's claim returned it): another worker
 * may have finished just before. With `lease`, the last transaction gives the lease back.
 */
export async function completeRevoke(requestId: string, ports: GrantPorts, claimed?: AccessRequest, lease?: Lease): Promise<AccessRequest> {
  const request = claimed ?? (await ports.store.getRequest(requestId));
  if (!request) throw new StintError('NOT_FOUND', `No request ${requestId}`, { id: requestId });
  if (request.status !== 'REVOKING') return request;
  const cause = request.revokeCause ?? 'expired';

  const failures: string[] = [];
  const revokedScopes: AuditInput[] = [];
  for (const handle of await ports.store.listGrantHandles(requestId)) {
    try {
      const stillNeeded = await revokeScope(request, handle, ports);
      // Access that is not Stint's alone (held before Stint, or by another active request) stays by design.
      if (!stillNeeded && !handle.data.preexisting && (await ports.providers.get(handle.provider).check(handle.config, handle.data)) !== 'absent') {
        throw new Error(`provider ${handle.provider} still reports ${handle.resourceId} present after revoke`);
      }
      // One event per provider revoke call (the audit shows each call happened once), written with the outcome.
      revokedScopes.push({ actor: 'stint', action: 'grant.scope_revoked', requestId, data: { resourceId: handle.resourceId, provider: handle.provider, stillNeeded }, at: ports.clock.now() });
    } catch (err) {
      const reason = `${handle.resourceId}: ${err instanceof Error ? err.message : String(err)}`;
      failures.push(reason);
      await ports.store.recordGrantError(requestId, handle.resourceId, reason);
    }
  }

  if (failures.length > 0) {
    const reason = failures.join('; ').slice(0, 2000);
    const attempt = Math.max(1, ...(await ports.store.listGrantHandles(requestId)).map((h) => h.attempts));
    const now = ports.clock.now();
    const next = new Date(now.getTime() + revokeRetryDelayMs(attempt));
    // Still REVOKING: the next attempt is pushed out by the backoff, so one broken target does not spin.
    await ports.store.transaction(async (tx) => {
      for (const event of revokedScopes) tx.appendAudit(event);
      await tx.transition(requestId, 'REVOKING', 'REVOKING', { nextActionAt: next, statusReason: `revoke attempt ${attempt} failed: ${reason}` });
      tx.appendAudit({ actor: 'stint', action: 'grant.revoke_failed', requestId, data: { cause, reason, attempt, nextAttemptAt: next.toISOString() }, at: now });
    });
    await ports.scheduler.revokeAt(requestId, `r${attempt}`, next);
    await ports.notifier.notify({ kind: 'grant.revoke_failed', request, reason, attempt });
    throw new StintError('UNAVAILABLE', `Revoking ${requestId} failed (${reason}); it stays REVOKING and is retried`, { requestId });
  }

  const done = ports.clock.now();
  const patch = { revokedAt: done, nextActionAt: null, statusReason: null };
  const moved = await ports.store.transaction(async (tx) => {
    // The calls happened whether or not this worker's transition wins: their events commit either way.
    for (const event of revokedScopes) tx.appendAudit(event);
    await lease?.releaseWith(tx);
    if (!(await tx.transition(requestId, 'REVOKING', 'REVOKED', patch))) return false;
    tx.appendAudit({ actor: 'stint', action: 'grant.revoked', requestId, data: { cause }, at: done });
    return true;
  });
  const revoked = { ...request, ...patch, status: 'REVOKED' as const };
  if (moved) {
    await ports.notifier.notify({ kind: 'grant.revoked', request: revoked });
    await commentOnTicket(revoked, 'revoked', ports);
  }
  return moved ? revoked : ((await ports.store.getRequest(requestId)) ?? revoked);
}

/**
 * Asks the provider to revoke one scope, telling it whether another ACTIVE request of the same person still
 * needs that access (reference counting); returns that answer.
 */
export async function revokeScope(request: AccessRequest, handle: GrantHandleRecord, ports: GrantPorts): Promise<boolean> {
  const stillNeeded = await ports.store.hasOtherActiveHolder(request.requesterId, handle.resourceId, request.id);
  await ports.providers.get(handle.provider).revoke(handle.config, handle.data, { stillNeeded });
  return stillNeeded;
}
