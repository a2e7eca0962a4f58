/**
 * The orphan sweep: what a provider finds on the target under Stint's marker is removed when its request is
 * ended or unknown, audited as drift and alerted; in-flight requests (APPROVED, ACTIVE, REVOKING) are left alone.
 */
import { describe, expect, it } from 'vitest';
import type { GrantHandleData, GrantTarget, Provider } from '../../src/core/ports.ts';
import { revokeGrant } from '../../src/core/revoke-grant.ts';
import { sweepOrphans } from '../../src/core/sweep-orphans.ts';
import { activeDevRequest, approvedDevRequest, grantHarness } from '../support/grant-harness.ts';
import { intercept } from '../support/intercept.ts';

/** A target whose objects carry the request id (like labelled Kubernetes bindings), listable by that marker. */
function labelledTarget(): Provider & { objects: Map<string, string>; listFails: boolean; revokeFails: boolean; revokes: number } {
  const objects = new Map<string, string>(); // name → requestId
  const p = {
    type: 'postgres',
    objects,
    listFails: false,
    revokeFails: false,
    revokes: 0,
    validate() {},
    async grant(_c: Record<string, unknown>, t: GrantTarget) {
      objects.set(`stint-${t.requestId}`, t.requestId);
      return { name: `stint-${t.requestId}`, resourceId: t.resourceId };
    },
    async extend(_c: Record<string, unknown>, h: GrantHandleData) {
      return h;
    },
    async revoke(_c: Record<string, unknown>, h: GrantHandleData) {
      p.revokes++;
      if (p.revokeFails) throw new Error('forbidden: cannot delete bindings');
      objects.delete(h.name as string);
    },
    async check(_c: Record<string, unknown>, h: GrantHandleData) {
      return objects.has(h.name as string) ? ('present' as const) : ('absent' as const);
    },
    async listGranted() {
      if (p.listFails) throw new Error('connection refused');
      return [...objects].map(([name, requestId]) => ({ requestId, handle: { name, resourceId: 'dev-api' } }));
    },
    describe: () => 'labelled',
  };
  return p;
}

describe('sweepOrphans', () => {
  it('keeps what in-flight requests hold and removes what ended or unknown requests left, once each', async () => {
    const target = labelledTarget();
    const h = grantHarness({ postgres: target });
    const active = await activeDevRequest(h);
    const approved = await approvedDevRequest(h);
    target.objects.set(`stint-${approved.id}`, approved.id); // granted, handle not saved yet
    const ended = await activeDevRequest(h);
    await revokeGrant(ended.id, 'done', 'alice', h.grantPorts);
    target.objects.set(`stint-${ended.id}`, ended.id); // left behind (a revoke that missed it)
    target.objects.set('stint-jit_unknown', 'jit_unknown'); // from a request this database never saw
    const revokesBefore = target.revokes;

    const result = await sweepOrphans(h.grantPorts);

    expect(result.errors).toEqual([]);
    expect(result.removed.map((r) => r.key).sort()).toEqual([`${ended.id}/dev-api`, 'jit_unknown/dev-api'].sort());
    // Two postgres resources in the policy list the same objects: each removed once.
    expect(target.revokes - revokesBefore).toBe(2);
    expect([...target.objects.values()].sort()).toEqual([active.id, approved.id].sort());
    const drift = h.store.state.audit.filter((e) => e.action === 'grant.drift');
    expect(drift).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ requestId: ended.id, data: expect.objectContaining({ orphan: true, fixed: true, status: 'REVOKED' }) }),
        expect.objectContaining({ requestId: null, data: expect.objectContaining({ orphan: true, requestId: 'jit_unknown', status: 'unknown' }) }),
      ]),
    );
    expect(h.notifier.sent.filter((n) => n.kind === 'grant.drift')).toEqual([expect.objectContaining({ resourceId: 'dev-api', found: 'present', fixed: true })]);
  });

  it('reads the requests a listing names a page at a time, not one read per live grant', async () => {
    const target = labelledTarget();
    const h = grantHarness({ postgres: target });
    for (let i = 0; i < 5; i++) await activeDevRequest(h);
    let reads = 0;
    const store = intercept(h.store, (key) => {
      if (key === 'getRequest' || key === 'listRequests') reads++;
      return undefined;
    });
    const result = await sweepOrphans({ ...h.grantPorts, store });
    expect(result.removed).toEqual([]);
    expect(target.objects.size).toBe(5);
    // One read for the five grants: the other resources on the same target list the same objects, read already.
    const listing = h.grantPorts.policy.current().resources.filter((r) => r.provider.type === 'postgres');
    expect(listing.length).toBeGreaterThan(1);
    expect(reads).toBe(1);
  });

  it('reports a listing or a removal that failed and leaves it for the next sweep', async () => {
    const target = labelledTarget();
    const h = grantHarness({ postgres: target });
    target.objects.set('stint-jit_gone', 'jit_gone');
    target.revokeFails = true;
    const failed = await sweepOrphans(h.grantPorts);
    expect(failed.removed).toEqual([{ key: 'jit_gone/dev-api', fixed: false }]);
    expect(failed.errors).toEqual(['jit_gone/dev-api: forbidden: cannot delete bindings']);
    expect(target.objects.size).toBe(1);

    target.listFails = true;
    const unreachable = await sweepOrphans(h.grantPorts);
    expect(unreachable.removed).toEqual([]);
    expect(unreachable.errors).toEqual(expect.arrayContaining([expect.stringContaining('connection refused')]));
  });
});
