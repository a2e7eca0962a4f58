/**
 * APPROVED → ACTIVE: ask each scope's provider for the access, remember every handle as soon as it exists
 * (so a crash mid-way leaves a record of what to take back), then move the request with its expiry — the last
 * scope's handle in the same transaction as the move (one commit less per grant; a failure takes it back too). All or
 * nothing: if one scope fails, the scopes already granted are revoked and the request is GRANT_FAILED.
 * Idempotent: anything but APPROVED is left alone, and providers' grant is idempotent too. The provider calls
 * run under the request's lease, so two workers never both grant (the second answers `busy`).
 */
import { StintError, isStintError } from '../domain/errors.ts';
import type { AccessRequest } from '../domain/request.ts';
import { resolveScope } from '../policy/index.ts';
import { commentOnTicket } from './comment-on-ticket.ts';
import { setExpiryTimers } from './expiry-timers.ts';
import { withLease, type Lease } from './lease.ts';
import type { AuditInput, GrantHandleRecord, GrantPorts } from './ports.ts';
import { completeRevoke, revokeScope } from './revoke-grant.ts';

export type ActivateResult = { status: 'ACTIVE' | 'GRANT_FAILED' | 'unchanged' | 'busy'; request: AccessRequest | null };

/** `seen`: the request as the caller just read it (advanceRequest), so it is not read once more to choose. */
export async function activateGrant(requestId: string, ports: GrantPorts, seen?: AccessRequest | null): Promise<ActivateResult> {
  if (seen === undefined) seen = await ports.store.getRequest(requestId);
  if (!seen || seen.status !== 'APPROVED') return { status: 'unchanged', request: seen };
  const leased = await withLease(ports, requestId, (claimed, lease) => activateLeased(claimed, ports, lease));
  if (!leased.held) return { status: 'busy', request: seen };
  // Once, by the run whose transition won; after the lease, so a slow ticket system holds no provider work.
  if (leased.value.status === 'ACTIVE' && leased.value.request) await commentOnTicket(leased.value.request, 'granted', ports);
  return leased.value;
}

async function activateLeased(request: AccessRequest, ports: GrantPorts, lease: Lease): Promise<ActivateResult> {
  // As read under the lease (the claim returns the row): another worker may have finished the activation just before.
  const requestId = request.id;
  if (request.status !== 'APPROVED') return { status: 'unchanged', request };
  const policy = ports.policy.current();
  const now = ports.clock.now();
  const expiresAt = new Date(now.getTime() + request.durationSec * 1000);
  const granted: GrantHandleRecord[] = [];
  const scopeGranted = (record: GrantHandleRecord): AuditInput => ({
    actor: 'stint',
    action: 'grant.scope_granted',
    requestId,
    data: { resourceId: record.resourceId, provider: record.provider, preexisting: record.data.preexisting ?? false },
    at: now,
  });
  try {
    for (const [index, scopeId] of request.scopes.entries()) {
      const scope = resolveScope(policy, scopeId);
      if (!scope) throw new StintError('UNKNOWN_SCOPE', `resource ${scopeId} is no longer in the policy`);
      const config = scope.resource.provider as Record<string, unknown>;
      const type = scope.resource.provider.type;
      const provider = ports.providers.get(type);
      const account = policy.people.get(request.requesterId)?.accounts[type];
      const data = await provider.grant(config, { requestId, resourceId: scopeId, principalId: request.requesterId, account, expiresAt, ...(request.narrowing ? { narrowing: request.narrowing } : {}), ...(request.launch ? { launch: true } : {}) });
      const record: GrantHandleRecord = { requestId, resourceId: scopeId, provider: type, config, data, attempts: 0, lastError: null };
      // Counted as granted before its handle is saved: if the save fails, this scope is taken back too.
      granted.push(record);
      // The last scope's handle is saved by the activation's own transaction below (one commit less per grant).
      if (index === request.scopes.length - 1) break;
      try {
        await ports.store.transaction(async (tx) => {
          await tx.saveGrantHandle(record);
          tx.appendAudit(scopeGranted(record));
        });
      } catch (storeError) {
        throw new StoreFailed(storeError);
      }
    }
  } catch (err) {
    if (err instanceof StoreFailed) {
      // The store failed, not the provider: take back what this run granted (without asking the store) and
      // leave the request APPROVED, so the job's retry or the next sweep activates it again.
      await takeBack(request, granted, ports, { storeDown: true });
      throw err.cause;
    }
    const reason = isStintError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
    return failGrant(request, granted, reason, ports, lease);
  }

  const patch = { activatedAt: now, expiresAt, nextActionAt: expiresAt };
  const last = granted[granted.length - 1];
  let moved: boolean;
  try {
    moved = await ports.store.transaction(async (tx) => {
      // The handle and its event commit whether or not the transition wins: the access exists either way, and
      // what follows (taking it back, or a revoke finishing) finds it through the handle.
      if (last) {
        await tx.saveGrantHandle(last);
        tx.appendAudit(scopeGranted(last));
      }
      if (!(await tx.transition(requestId, 'APPROVED', 'ACTIVE', patch))) return false;
      // Only once it moved: when it did not, this run may still have a revoke to finish under the lease (below).
      await lease.releaseWith(tx);
      tx.appendAudit({ actor: 'stint', action: 'grant.activated', requestId, data: { scopes: request.scopes, expiresAt: expiresAt.toISOString() }, at: now });
      return true;
    });
  } catch (storeError) {
    // As for any handle that could not be saved: take back what this run granted, leave the request APPROVED.
    await takeBack(request, granted, ports, { storeDown: true });
    throw storeError;
  }
  if (!moved) {
    // The request moved on while we granted (revoked, offboarded, or another activator won): whatever this
    // run granted must not outlive that. Another activator's handles are the same (grant is idempotent), and
    // it keeps them only if its own transition won — then the request is ACTIVE and nothing is taken back.
    // A revoke that came in meanwhile found our lease and left the provider work to us: finish it (all handles,
    // ours included; a failure there is retried with the backoff like any revoke).
    const current = await ports.store.getRequest(requestId);
    if (current?.status === 'REVOKING') {
      await completeRevoke(requestId, ports).catch(() => undefined);
      return { status: 'unchanged', request: await ports.store.getRequest(requestId) };
    }
    if (current?.status !== 'ACTIVE') await takeBack(request, granted, ports);
    return { status: 'unchanged', request: current };
  }
  const active = { ...request, ...patch, status: 'ACTIVE' as const };
  await setExpiryTimers(active, ports);
  await ports.notifier.notify({ kind: 'grant.activated', request: active });
  return { status: 'ACTIVE', request: active };
}

async function failGrant(request: AccessRequest, granted: GrantHandleRecord[], reason: string, ports: GrantPorts, lease: Lease): Promise<ActivateResult> {
  const now = ports.clock.now();
  const rollbackErrors = await takeBack(request, granted, ports);
  const patch = { nextActionAt: null, statusReason: reason.slice(0, 2000) };
  const moved = await ports.store.transaction(async (tx) => {
    if (!(await tx.transition(request.id, 'APPROVED', 'GRANT_FAILED', patch))) return false;
    await lease.releaseWith(tx);
    tx.appendAudit({ actor: 'stint', action: 'grant.failed', requestId: request.id, data: { reason, rolledBack: granted.map((g) => g.resourceId), rollbackErrors }, at: now });
    return true;
  });
  const failed = { ...request, ...patch, status: 'GRANT_FAILED' as const };
  if (moved) await ports.notifier.notify({ kind: 'grant.failed', request: failed, reason });
  return { status: moved ? 'GRANT_FAILED' : 'unchanged', request: moved ? failed : await ports.store.getRequest(request.id) };
}

/**
 * Revokes what one activation granted; a failure is recorded on the handle for the drift sweep to finish.
 * `storeDown`: the store just failed, so the provider is asked directly (providers keep their own count of
 * who still needs shared access — the postgres provider's markers).
 */
async function takeBack(request: AccessRequest, granted: GrantHandleRecord[], ports: GrantPorts, options: { storeDown?: boolean } = {}): Promise<string[]> {
  const errors: string[] = [];
  for (const g of granted) {
    try {
      if (options.storeDown) await ports.providers.get(g.provider).revoke(g.config, g.data, { stillNeeded: false });
      else await revokeScope(request, g, ports);
    } catch (err) {
      errors.push(`${g.resourceId}: ${err instanceof Error ? err.message : String(err)}`);
      await ports.store.recordGrantError(request.id, g.resourceId, String(err)).catch(() => undefined);
    }
  }
  return errors;
}

/** A store error in the middle of an activation (as opposed to a provider refusing). */
class StoreFailed extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}
