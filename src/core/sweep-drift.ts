/**
 * The drift sweep (DESIGN.md section 4): asks each provider whether what PostgreSQL says is true.
 * - Ended grants (REVOKED within the window, GRANT_FAILED ones whose rollback may have failed): access still
 *   present that is Stint's alone is revoked again, under the request's lease, audited and alerted.
 * - ACTIVE grants whose access is gone (removed out of band): audited and alerted once; not re-granted — an
 *   admin may have removed it on purpose.
 * Access held before Stint (`preexisting`) or needed by another open request of the same person is left alone.
 */
import type { AccessRequest } from '../domain/request.ts';
import { withLease } from './lease.ts';
import type { GrantHandleRecord, GrantPorts } from './ports.ts';

export interface DriftResult {
  checked: number;
  /** `<requestId>/<resourceId>` of access found present after its grant ended, and whether the re-revoke worked. */
  present: Array<{ key: string; fixed: boolean }>;
  /** `<requestId>/<resourceId>` of ACTIVE grants whose access is gone. */
  absent: string[];
  /** Checks that could not run (provider unreachable): looked at again next time. */
  errors: string[];
}

export interface DriftOptions {
  /**
   * How far back ended grants are checked. A revoke already checks absence before it counts as done; this catches
   * access that came back soon after (a retried grant landing late, a target restored from a recent snapshot) and
   * is checked again each minute, so it is short: at 20 revocations a second an hour's window was 5,000 checks a
   * minute that found nothing new. @defaultValue 10 minutes
   */
  endedWindowMs?: number;
}

const DRIFT_ABSENT = 'drift: access absent while ACTIVE';

export async function sweepDrift(ports: GrantPorts, options: DriftOptions = {}): Promise<DriftResult> {
  const result: DriftResult = { checked: 0, present: [], absent: [], errors: [] };
  const since = new Date(ports.clock.now().getTime() - (options.endedWindowMs ?? 600_000));
  const ended = await ports.store.listRecentlyEnded(since, 5_000);
  for (const [request, handle] of await withHandles(ended, ports)) {
    if (handle.data.preexisting) continue;
    const found = await check(handle, ports, result);
    if (found !== 'present' || (await stillNeededElsewhere(request, handle.resourceId, ports))) continue;
    const fixed = await revokeAgain(request, handle, ports);
    if (fixed === null) continue; // the request moved on, or another worker holds it
    result.present.push({ key: `${request.id}/${handle.resourceId}`, fixed });
    await ports.store.transaction(async (tx) => {
      tx.appendAudit({ actor: 'stint', action: 'grant.drift', requestId: request.id, data: { resourceId: handle.resourceId, found: 'present', fixed, status: request.status }, at: ports.clock.now() });
    });
    await ports.notifier.notify({ kind: 'grant.drift', request, resourceId: handle.resourceId, found: 'present', fixed });
  }
  for (let beforeId: string | undefined; ; ) {
    const page = await ports.store.listRequests({ statuses: ['ACTIVE'], limit: 1000, beforeId });
    for (const [request, handle] of await withHandles(page, ports)) {
      if ((await check(handle, ports, result)) !== 'absent' || handle.lastError === DRIFT_ABSENT) continue;
      if ((await ports.store.getRequest(request.id))?.status !== 'ACTIVE') continue; // a revoke began meanwhile
      result.absent.push(`${request.id}/${handle.resourceId}`);
      await ports.store.recordGrantError(request.id, handle.resourceId, DRIFT_ABSENT); // alert once
      await ports.store.transaction(async (tx) => {
        tx.appendAudit({ actor: 'stint', action: 'grant.drift', requestId: request.id, data: { resourceId: handle.resourceId, found: 'absent', fixed: false, status: 'ACTIVE' }, at: ports.clock.now() });
      });
      await ports.notifier.notify({ kind: 'grant.drift', request, resourceId: handle.resourceId, found: 'absent', fixed: false });
    }
    if (page.length < 1000) break;
    beforeId = page.at(-1)!.id;
  }
  return result;
}

/** Each request with each of its handles, read in one query per page (thousands of grants, one round trip). */
async function withHandles(requests: AccessRequest[], ports: GrantPorts): Promise<Array<[AccessRequest, GrantHandleRecord]>> {
  const byId = new Map(requests.map((r) => [r.id, r]));
  const pairs: Array<[AccessRequest, GrantHandleRecord]> = [];
  for (let i = 0; i < requests.length; i += 1000) {
    for (const handle of await ports.store.listGrantHandlesOf(requests.slice(i, i + 1000).map((r) => r.id))) pairs.push([byId.get(handle.requestId)!, handle]);
  }
  return pairs;
}

async function check(handle: GrantHandleRecord, ports: GrantPorts, result: DriftResult): Promise<'present' | 'absent' | null> {
  result.checked += 1;
  try {
    return await ports.providers.get(handle.provider).check(handle.config, handle.data);
  } catch (err) {
    result.errors.push(`${handle.requestId}/${handle.resourceId}: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

/** Another APPROVED (being activated) or ACTIVE request of the same person covers the resource. */
async function stillNeededElsewhere(request: AccessRequest, resourceId: string, ports: GrantPorts): Promise<boolean> {
  const open = await ports.store.listOpenRequestsOf([request.requesterId]);
  return open.some((r) => r.id !== request.id && (r.status === 'APPROVED' || r.status === 'ACTIVE') && r.scopes.includes(resourceId));
}

async function revokeAgain(request: AccessRequest, handle: GrantHandleRecord, ports: GrantPorts): Promise<boolean | null> {
  const leased = await withLease(ports, request.id, async () => {
    const current = await ports.store.getRequest(request.id);
    if (current?.status !== 'REVOKED' && current?.status !== 'GRANT_FAILED') return null;
    const provider = ports.providers.get(handle.provider);
    try {
      await provider.revoke(handle.config, handle.data, { stillNeeded: false });
      return (await provider.check(handle.config, handle.data)) === 'absent';
    } catch (err) {
      await ports.store.recordGrantError(request.id, handle.resourceId, `drift re-revoke failed: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    }
  });
  return leased.held ? leased.value : null;
}
