import { describe, expect, it } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { createRequest } from '../../src/core/create-request.ts';
import type { GrantPorts, Provider } from '../../src/core/ports.ts';
import { reconcileDue } from '../../src/core/reconcile-due.ts';
import { revokeRetryDelayMs } from '../../src/core/revoke-grant.ts';
import { createNoopProvider } from '../../src/providers/noop/noop-provider.ts';
import { coreHarness, person } from '../support/core-harness.ts';

function setup(provider: Provider = createNoopProvider()) {
  const h = coreHarness();
  const ports: GrantPorts = { ...h.ports, providers: { get: () => provider } };
  return { ...h, provider, grantPorts: ports };
}

async function activeRequest(h: ReturnType<typeof setup>, duration = '1h') {
  const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['dev-api'], duration, reason: 'debug' }, h.ports);
  await activateGrant(request.id, h.grantPorts);
  return request.id;
}

describe('reconcileDue', () => {
  it('leaves an ACTIVE grant alone until it expires, then revokes it with cause expired', async () => {
    const h = setup();
    const id = await activeRequest(h, '30m');
    expect(await reconcileDue(h.grantPorts)).toMatchObject({ activated: [], revoked: [], failed: [], busy: [] });
    h.clock.advance(30 * 60_000);
    expect((await reconcileDue(h.grantPorts)).revoked).toEqual([id]);
    expect(await h.store.getRequest(id)).toMatchObject({ status: 'REVOKED', revokeCause: 'expired' });
  });

  it("revokes a row a dead worker had leased within the same sweep, once the lease lapses, while the rest of the sweep goes on", async () => {
    const h = setup();
    const held = await activeRequest(h, '30m');
    const free = await activeRequest(h, '30m');
    h.clock.advance(30 * 60_000);
    // A worker claimed the row for 6 s and died.
    expect(await h.store.claimRequest(held, 'dead-worker', new Date(h.clock.now().getTime() + 6_000), h.clock.now())).not.toBeNull();
    const sweep = reconcileDue(h.grantPorts, { busyRetry: { everyMs: 10, forMs: 5_000 } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await h.store.getRequest(free))?.status).toBe('REVOKED');
    // Recorded, the provider work left to the lease's holder until it lapses.
    expect((await h.store.getRequest(held))?.status).toBe('REVOKING');
    h.clock.advance(6_001); // the lease lapses
    const swept = await sweep;
    expect(swept.revoked.sort()).toEqual([held, free].sort());
    expect(swept.busy).toEqual([]);
  });

  it('reports a row still leased after its retries as busy (the next tick looks again)', async () => {
    const h = setup();
    const held = await activeRequest(h, '30m');
    h.clock.advance(30 * 60_000);
    await h.store.claimRequest(held, 'slow-worker', new Date(h.clock.now().getTime() + 6_000), h.clock.now());
    const swept = await reconcileDue(h.grantPorts, { busyRetry: { everyMs: 10, forMs: 50 } });
    expect(swept.busy).toEqual([held]);
    expect((await h.store.getRequest(held))?.status).toBe('REVOKING');
  });

  it('activates an APPROVED request whose next action is due', async () => {
    const h = setup();
    const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['dev-api'], duration: '1h', reason: 'x' }, h.ports);
    await h.store.transaction((tx) => tx.transition(request.id, 'APPROVED', 'APPROVED', { nextActionAt: h.clock.now() }));
    expect((await reconcileDue(h.grantPorts)).activated).toEqual([request.id]);
  });

  it('retries a failing revoke with growing delays and never marks it REVOKED meanwhile', async () => {
    const inner = createNoopProvider();
    let failures = 2;
    const h = setup({ ...inner, revoke: async (c, d, o) => (failures-- > 0 ? Promise.reject(new Error('refused')) : inner.revoke(c, d, o)) });
    const id = await activeRequest(h, '30m');
    h.clock.advance(30 * 60_000);
    expect((await reconcileDue(h.grantPorts)).failed).toEqual([id]);
    const first = await h.store.getRequest(id);
    expect(first).toMatchObject({ status: 'REVOKING' });
    expect(first!.nextActionAt!.getTime() - h.clock.now().getTime()).toBe(revokeRetryDelayMs(1));
    expect((await reconcileDue(h.grantPorts)).failed).toEqual([]); // not due yet
    h.clock.advance(revokeRetryDelayMs(1));
    await reconcileDue(h.grantPorts);
    expect((await h.store.getRequest(id))!.nextActionAt!.getTime() - h.clock.now().getTime()).toBe(revokeRetryDelayMs(2));
    h.clock.advance(revokeRetryDelayMs(2));
    expect((await reconcileDue(h.grantPorts)).revoked).toEqual([id]);
  });

  it('backs off exponentially for about ten minutes, then every five minutes', () => {
    const delays = Array.from({ length: 10 }, (_, i) => revokeRetryDelayMs(i + 1));
    expect(delays.slice(0, 4)).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(delays.at(-1)).toBe(300_000);
    const untilCap = delays.filter((d) => d < 300_000).reduce((a, b) => a + b, 0);
    expect(untilCap).toBeGreaterThan(5 * 60_000);
    expect(untilCap).toBeLessThan(15 * 60_000);
  });
});
