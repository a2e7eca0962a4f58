/**
 * The orphan sweep (issue 9): providers whose grants carry Stint's own marker on the target (a Kubernetes
 * binding labelled `stint.dev/request`, say) list what they find, and whatever belongs to a request that is
 * not in flight — ended, failed, or unknown to this database (a restore from an older backup) — is removed,
 * audited as drift and alerted. Requests still APPROVED (being activated), ACTIVE or REVOKING are left to
 * their own path; access held before Stint never carries the marker, so it is never listed.
 */
import type { AccessRequest } from '../domain/request.ts';
import { withLease } from './lease.ts';
import type { GrantHandleData, GrantPorts } from './ports.ts';

export interface OrphanResult {
  /** `<requestId>/<resourceId>` of what was found and removed (`fixed`), or could not be removed. */
  removed: Array<{ key: string; fixed: boolean }>;
  /** Listings or removals that could not run (provider unreachable): tried again at the next sweep. */
  errors: string[];
}

const IN_FLIGHT = new Set(['APPROVED', 'ACTIVE', 'REVOKING']);
/** Ids per read (the store's largest page). */
const PAGE = 1000;

export async function sweepOrphans(ports: GrantPorts): Promise<OrphanResult> {
  const result: OrphanResult = { removed: [], errors: [] };
  const seen = new Set<string>();
  for (const resource of ports.policy.current().resources) {
    const config = resource.provider as Record<string, unknown>;
    let provider;
    try {
      provider = ports.providers.get(resource.provider.type);
    } catch {
      continue; // a type this build does not have: its grants fail closed, there is nothing of ours to find
    }
    if (!provider.listGranted) continue;
    let found: Array<{ requestId: string; handle: GrantHandleData }>;
    try {
      found = await provider.listGranted(config);
    } catch (err) {
      result.errors.push(`${resource.id}: ${message(err)}`);
      continue;
    }
    // Resources on the same target list the same objects: each is looked at (and its request read) once.
    const fresh = found.filter(({ requestId, handle }) => {
      const key = `${requestId}/${JSON.stringify(handle)}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const requests = await requestsOf([...new Set(fresh.map((f) => f.requestId))], ports);
    for (const { requestId, handle } of fresh) {
      const request = requests.get(requestId) ?? null;
      if (request && IN_FLIGHT.has(request.status)) continue;
      const resourceId = typeof handle.resourceId === 'string' ? handle.resourceId : resource.id;
      const fixed = await remove(request, () => provider.revoke(config, handle, { stillNeeded: false }), ports);
      if (fixed === null) continue;
      if (fixed !== true) result.errors.push(`${requestId}/${resourceId}: ${fixed}`);
      result.removed.push({ key: `${requestId}/${resourceId}`, fixed: fixed === true });
      const data = { resourceId, found: 'present', orphan: true, fixed: fixed === true, status: request?.status ?? 'unknown', ...(!request && { requestId }) };
      await ports.store.transaction(async (tx) => {
        tx.appendAudit({ actor: 'stint', action: 'grant.drift', requestId: request ? requestId : null, data, at: ports.clock.now() });
      });
      if (request) await ports.notifier.notify({ kind: 'grant.drift', request, resourceId, found: 'present', fixed: fixed === true });
    }
  }
  return result;
}

/**
 * The requests a listing names, read a page of ids per query: a target holding thousands of live grants costs a few
 * reads each minute, not one per grant. A request read here as in flight is left alone; one read as ended is read
 * again under its lease before anything is removed (remove below).
 */
async function requestsOf(ids: string[], ports: GrantPorts): Promise<Map<string, AccessRequest>> {
  const byId = new Map<string, AccessRequest>();
  for (let i = 0; i < ids.length; i += PAGE) {
    const page = ids.slice(i, i + PAGE);
    for (const request of await ports.store.listRequests({ ids: page, limit: page.length })) byId.set(request.id, request);
  }
  return byId;
}

/**
 * Revokes under the request's lease when the request exists (null: it moved on, or another worker holds it);
 * true when done, else the error's message.
 */
async function remove(request: AccessRequest | null, revoke: () => Promise<void>, ports: GrantPorts): Promise<true | string | null> {
  const attempt = () =>
    revoke().then(
      () => true as const,
      (err: unknown) => message(err),
    );
  if (!request) return attempt();
  const leased = await withLease(ports, request.id, async () => {
    const current = await ports.store.getRequest(request.id);
    return current && !IN_FLIGHT.has(current.status) ? attempt() : null;
  });
  return leased.held ? leased.value : null;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
