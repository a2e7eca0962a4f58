/**
 * Activity-based revocation (issue 12): a resource with `idleTimeout` loses its grant once the grantee has done
 * nothing with it for that long (cause `idle`). The provider reports what it sees now (postgres: the grantee's
 * sessions in pg_stat_activity); the last activity seen is kept on the grant handle (`lastActivityAt`), because
 * a session that ended leaves no trace on the target. A grant never used counts from its activation.
 * A request over several watched scopes is idle only when all of them are. The leader runs this every sweep.
 */
import { isStintError } from '../domain/errors.ts';
import { formatDuration } from '../domain/duration.ts';
import type { AccessRequest } from '../domain/request.ts';
import { resolveScope } from '../policy/index.ts';
import type { GrantHandleRecord, GrantPorts } from './ports.ts';
import { revokeGrant } from './revoke-grant.ts';

export interface IdleResult {
  checked: number;
  /** Requests revoked for idleness. */
  revoked: string[];
  /** `<requestId>/<resourceId>` whose activity could not be read (looked at again next time; never revoked blind). */
  errors: string[];
}

export async function sweepIdle(ports: GrantPorts): Promise<IdleResult> {
  const result: IdleResult = { checked: 0, revoked: [], errors: [] };
  const policy = ports.policy.current();
  // Most policies watch nothing: no query at all then.
  if (!policy.resources.some((r) => r.idleTimeoutSec !== undefined)) return result;
  for (let beforeId: string | undefined; ; ) {
    const page = await ports.store.listRequests({ statuses: ['ACTIVE'], limit: 1000, beforeId });
    const handles = new Map<string, GrantHandleRecord[]>();
    for (const handle of page.length > 0 ? await ports.store.listGrantHandlesOf(page.map((r) => r.id)) : []) {
      const of = handles.get(handle.requestId);
      if (of) of.push(handle);
      else handles.set(handle.requestId, [handle]);
    }
    for (const request of page) {
      const idleFor = await idleness(request, handles.get(request.id) ?? [], ports, result);
      if (idleFor === null) continue;
      try {
        await revokeGrant(request.id, 'idle', 'stint', ports, `no activity for ${formatDuration(idleFor)} (idleTimeout)`);
      } catch (err) {
        // UNAVAILABLE: the revoke is underway and retried by the reconciler; NOT_PENDING: it ended meanwhile.
        if (!isStintError(err) || (err.code !== 'UNAVAILABLE' && err.code !== 'NOT_PENDING')) throw err;
      }
      result.revoked.push(request.id);
    }
    if (page.length < 1000) break;
    beforeId = page.at(-1)!.id;
  }
  return result;
}

/** Seconds the request has been idle when every watched scope is past its timeout; null when it is in use (or unknown). */
async function idleness(request: AccessRequest, handles: GrantHandleRecord[], ports: GrantPorts, result: IdleResult): Promise<number | null> {
  const policy = ports.policy.current();
  const now = ports.clock.now();
  let watched = 0;
  let idleFor = Infinity;
  for (const handle of handles) {
    const timeoutSec = resolveScope(policy, handle.resourceId)?.resource.idleTimeoutSec;
    const provider = ports.providers.get(handle.provider);
    if (timeoutSec === undefined || !provider.activity) continue;
    watched += 1;
    result.checked += 1;
    let seen: { active: boolean; lastAt: Date | null };
    try {
      seen = await provider.activity(handle.config, handle.data);
    } catch (err) {
      result.errors.push(`${request.id}/${handle.resourceId}: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
    const stored = typeof handle.data.lastActivityAt === 'string' ? new Date(handle.data.lastActivityAt) : (request.activatedAt ?? now);
    const last = new Date(Math.max(stored.getTime(), seen.active ? now.getTime() : (seen.lastAt?.getTime() ?? 0)));
    if (last.getTime() - stored.getTime() >= 1_000) {
      await ports.store.transaction(async (tx) => tx.saveGrantHandle({ ...handle, data: { ...handle.data, lastActivityAt: last.toISOString() } }));
    }
    const idleSec = (now.getTime() - last.getTime()) / 1000;
    if (idleSec <= timeoutSec) return null;
    idleFor = Math.min(idleFor, Math.floor(idleSec));
  }
  return watched > 0 ? idleFor : null;
}
