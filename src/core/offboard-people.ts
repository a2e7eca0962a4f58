/**
 * After a policy reload removed or disabled people (or service accounts): cancel their pending requests and
 * end their approved ones, cause `offboarded`, each audited. Runs once per reload; idempotent because it
 * only acts on requests still open.
 */
import type { AccessRequest } from '../domain/request.ts';
import type { CorePorts } from './ports.ts';

export async function offboardPeople(requesterIds: string[], ports: Omit<CorePorts, 'channels'>): Promise<AccessRequest[]> {
  if (requesterIds.length === 0) return [];
  const now = ports.clock.now();
  const ended: AccessRequest[] = [];
  for (const open of await ports.store.listOpenRequestsOf(requesterIds)) {
    const moved = await ports.store.transaction(async (tx) => {
      const locked = await tx.lockRequest(open.id);
      if (!locked) return null;
      const data = { cause: 'offboarded', previousStatus: locked.status };
      if (locked.status === 'PENDING') {
        const patch = { decidedAt: now, decidedBy: 'policy', nextActionAt: null };
        if (!(await tx.transition(locked.id, 'PENDING', 'CANCELLED', patch))) return null;
        tx.appendAudit({ actor: 'policy', action: 'request.cancelled', requestId: locked.id, data, at: now });
        return { ...locked, ...patch, status: 'CANCELLED' as const };
      }
      if (locked.status === 'APPROVED' || locked.status === 'ACTIVE') {
        // Revocation goes through REVOKING and a worker's provider revoke. Before activation there is nothing to
        // take away, so the request ends here (an activation in flight loses its final transition and takes back
        // what it granted).
        const patch = { revokeCause: 'offboarded' as const, nextActionAt: now };
        if (!(await tx.transition(locked.id, locked.status, 'REVOKING', patch))) return null;
        tx.appendAudit({ actor: 'policy', action: 'grant.revoking', requestId: locked.id, data, at: now });
        if (locked.activatedAt === null) {
          await tx.transition(locked.id, 'REVOKING', 'REVOKED', { revokedAt: now, nextActionAt: null });
          tx.appendAudit({ actor: 'policy', action: 'grant.revoked', requestId: locked.id, data, at: now });
          return { ...locked, ...patch, status: 'REVOKED' as const, revokedAt: now, nextActionAt: null };
        }
        return { ...locked, ...patch, status: 'REVOKING' as const };
      }
      return null;
    });
    if (moved) {
      ended.push(moved);
      if (moved.status === 'REVOKING') await ports.scheduler.revokeAt(moved.id, 'offboarded', now);
      await ports.notifier.notify({ kind: moved.status === 'CANCELLED' ? 'request.cancelled' : 'request.decided', request: moved, actorId: 'policy' });
    }
  }
  return ended;
}
