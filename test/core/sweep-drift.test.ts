import { describe, expect, it } from 'vitest';
import type { GrantHandleData, Provider } from '../../src/core/ports.ts';
import { revokeGrant } from '../../src/core/revoke-grant.ts';
import { sweepDrift } from '../../src/core/sweep-drift.ts';
import { activeDevRequest, grantHarness } from '../support/grant-harness.ts';

/** A provider whose revoke reports success but leaves the access (a target that silently ignored it). */
function leakyRevoke(): Provider & { present: Set<string>; leak: boolean } {
  const present = new Set<string>();
  const p = {
    type: 'postgres',
    present,
    leak: true,
    validate() {},
    async grant(_c: Record<string, unknown>, t: { requestId: string; resourceId: string }) {
      present.add(`${t.requestId}/${t.resourceId}`);
      return { key: `${t.requestId}/${t.resourceId}` };
    },
    async extend(_c: Record<string, unknown>, h: GrantHandleData) {
      return h;
    },
    async revoke(_c: Record<string, unknown>, h: GrantHandleData) {
      if (!p.leak) present.delete(h.key as string);
    },
    async check(_c: Record<string, unknown>, h: GrantHandleData) {
      return present.has(h.key as string) ? ('present' as const) : ('absent' as const);
    },
    describe: () => 'leaky',
  };
  return p;
}

describe('sweepDrift', () => {
  it('finds nothing when providers agree with the store', async () => {
    const h = grantHarness();
    await activeDevRequest(h);
    const ended = await activeDevRequest(h);
    await revokeGrant(ended.id, 'done', 'alice', h.grantPorts);
    expect(await sweepDrift(h.grantPorts)).toMatchObject({ checked: 2, present: [], absent: [], errors: [] });
    expect(h.notifier.sent.filter((n) => n.kind === 'grant.drift')).toEqual([]);
  });

  it('revokes again access still present after its grant was marked REVOKED, audits and alerts', async () => {
    const leaky = leakyRevoke();
    const h = grantHarness({ postgres: leaky });
    const active = await activeDevRequest(h);
    // The revoke "succeeded" but the access stayed; check() after revoke would catch it, so mark it ended by hand.
    await h.store.transaction((tx) => tx.transition(active.id, 'ACTIVE', 'REVOKED', { revokedAt: h.clock.now(), nextActionAt: null }));
    leaky.leak = false; // the target now obeys
    const found = await sweepDrift(h.grantPorts);
    expect(found.present).toEqual([{ key: `${active.id}/dev-api`, fixed: true }]);
    expect(leaky.present.size).toBe(0);
    expect(h.store.state.audit.at(-1)).toMatchObject({ action: 'grant.drift', data: { found: 'present', fixed: true } });
    expect(h.notifier.sent.at(-1)).toMatchObject({ kind: 'grant.drift', found: 'present', fixed: true });
  });

  it('says when the re-revoke did not work either', async () => {
    const leaky = leakyRevoke();
    const h = grantHarness({ postgres: leaky });
    const active = await activeDevRequest(h);
    await h.store.transaction((tx) => tx.transition(active.id, 'ACTIVE', 'REVOKED', { revokedAt: h.clock.now(), nextActionAt: null }));
    expect((await sweepDrift(h.grantPorts)).present).toEqual([{ key: `${active.id}/dev-api`, fixed: false }]);
  });

  it('leaves access another open request of the same person still needs', async () => {
    const leaky = leakyRevoke();
    const h = grantHarness({ postgres: leaky });
    const first = await activeDevRequest(h);
    const second = await activeDevRequest(h);
    leaky.present.add(`${first.id}/dev-api`);
    await h.store.transaction((tx) => tx.transition(first.id, 'ACTIVE', 'REVOKED', { revokedAt: h.clock.now(), nextActionAt: null }));
    expect((await sweepDrift(h.grantPorts)).present).toEqual([]);
    expect(second.status).toBe('ACTIVE');
  });

  it('ignores ended grants older than the window', async () => {
    const leaky = leakyRevoke();
    const h = grantHarness({ postgres: leaky });
    const active = await activeDevRequest(h);
    await h.store.transaction((tx) => tx.transition(active.id, 'ACTIVE', 'REVOKED', { revokedAt: h.clock.now(), nextActionAt: null }));
    h.clock.advance(2 * 3_600_000);
    expect((await sweepDrift(h.grantPorts)).present).toEqual([]);
  });

  it('alerts once when an ACTIVE grant lost its access out of band, without re-granting', async () => {
    const h = grantHarness();
    const active = await activeDevRequest(h);
    await h.noop.revoke({}, { key: `${active.id}/dev-api` }, { stillNeeded: false });
    expect((await sweepDrift(h.grantPorts)).absent).toEqual([`${active.id}/dev-api`]);
    expect((await sweepDrift(h.grantPorts)).absent).toEqual([]);
    expect(h.notifier.sent.filter((n) => n.kind === 'grant.drift')).toHaveLength(1);
    expect(h.noop.activeGrants()).toEqual([]);
  });

  it('counts a check that cannot run as an error and goes on', async () => {
    const h = grantHarness();
    const active = await activeDevRequest(h);
    const broken = { ...h.noop, check: async () => Promise.reject(new Error('target unreachable')) };
    const found = await sweepDrift({ ...h.grantPorts, providers: { get: () => broken } });
    expect(found.errors).toEqual([`${active.id}/dev-api: target unreachable`]);
  });
});
