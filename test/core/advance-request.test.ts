import { describe, expect, it } from 'vitest';
import { advanceRequest } from '../../src/core/advance-request.ts';
import { withLease } from '../../src/core/lease.ts';
import { remindExpiry } from '../../src/core/remind-expiry.ts';
import { revokeGrant } from '../../src/core/revoke-grant.ts';
import { activeDevRequest, approvedDevRequest, grantHarness } from '../support/grant-harness.ts';

describe('advanceRequest', () => {
  it('activates an approved request and sets its revoke timer (keyed by generation) and its reminder', async () => {
    const h = grantHarness();
    const request = await approvedDevRequest(h, '1h');
    expect(await advanceRequest(request.id, h.grantPorts)).toBe('activated');
    const active = (await h.store.getRequest(request.id))!;
    expect(h.scheduler.of(request.id)).toEqual([
      { kind: 'activate', requestId: request.id },
      { kind: 'revoke', requestId: request.id, key: 'g0', at: active.expiresAt },
      { kind: 'remind', requestId: request.id, generation: 0, at: new Date(active.expiresAt!.getTime() - 10 * 60_000) },
    ]);
  });

  it('sets no reminder for a grant shorter than the reminder lead time', async () => {
    const h = grantHarness();
    const active = await activeDevRequest(h, '5m');
    expect(h.scheduler.of(active.id).map((t) => t.kind)).toEqual(['activate', 'revoke']);
  });

  it('does nothing for an ACTIVE grant whose expiry has not come (a stale or early timer)', async () => {
    const h = grantHarness();
    const active = await activeDevRequest(h);
    h.clock.advance(59 * 60_000);
    expect(await advanceRequest(active.id, h.grantPorts)).toBe('nothing');
    expect((await h.store.getRequest(active.id))!.status).toBe('ACTIVE');
  });

  it('revokes an ACTIVE grant at its expiry with cause expired', async () => {
    const h = grantHarness();
    const active = await activeDevRequest(h);
    h.clock.advance(60 * 60_000);
    expect(await advanceRequest(active.id, h.grantPorts)).toBe('revoked');
    expect(await h.store.getRequest(active.id)).toMatchObject({ status: 'REVOKED', revokeCause: 'expired' });
    expect(h.noop.activeGrants()).toEqual([]);
  });

  it('leaves a request alone while another worker holds its lease, and reports busy', async () => {
    const h = grantHarness();
    const request = await approvedDevRequest(h);
    let inside: string | undefined;
    await withLease(h.grantPorts, request.id, async () => {
      inside = await advanceRequest(request.id, h.grantPorts);
    });
    expect(inside).toBe('busy');
    expect(h.noop.activeGrants()).toEqual([]);
    expect(await advanceRequest(request.id, h.grantPorts)).toBe('activated');
  });

  it('answers nothing for unknown and finished requests', async () => {
    const h = grantHarness();
    expect(await advanceRequest('jit_01JZZZZZZZZZZZZZZZZZZZZZZZ', h.grantPorts)).toBe('nothing');
    const active = await activeDevRequest(h);
    await revokeGrant(active.id, 'done', 'alice', h.grantPorts);
    expect(await advanceRequest(active.id, h.grantPorts)).toBe('nothing');
  });
});

describe('withLease', () => {
  it('lets a second owner in once the first has released, and takes over a lapsed lease', async () => {
    const h = grantHarness();
    const request = await approvedDevRequest(h);
    expect(await withLease(h.grantPorts, request.id, async () => 'first')).toEqual({ held: true, value: 'first' });
    expect(await withLease(h.grantPorts, request.id, async () => 'second')).toEqual({ held: true, value: 'second' });
    // A worker that died holding the lease: it lapses after LEASE_MS.
    await h.store.claimRequest(request.id, 'dead-worker', new Date(h.clock.now().getTime() + 10_000), h.clock.now());
    expect(await withLease(h.grantPorts, request.id, async () => 'blocked')).toEqual({ held: false });
    h.clock.advance(10_001);
    expect(await withLease(h.grantPorts, request.id, async () => 'taken over')).toEqual({ held: true, value: 'taken over' });
  });

  it('releases the lease when the work throws', async () => {
    const h = grantHarness();
    const request = await approvedDevRequest(h);
    await expect(withLease(h.grantPorts, request.id, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect((await withLease(h.grantPorts, request.id, async () => 1)).held).toBe(true);
  });
});

describe('remindExpiry', () => {
  it('tells the requester how many minutes are left, for the current generation only', async () => {
    const h = grantHarness();
    const active = await activeDevRequest(h);
    h.clock.advance(50 * 60_000);
    expect(await remindExpiry(active.id, 1, h.grantPorts)).toBe(false); // an extension's generation, not this one
    expect(await remindExpiry(active.id, 0, h.grantPorts)).toBe(true);
    expect(h.notifier.sent.at(-1)).toMatchObject({ kind: 'grant.expiring', minutesLeft: 10, request: { id: active.id } });
  });

  it('says nothing once the grant has ended', async () => {
    const h = grantHarness();
    const active = await activeDevRequest(h);
    await revokeGrant(active.id, 'done', 'alice', h.grantPorts);
    expect(await remindExpiry(active.id, 0, h.grantPorts)).toBe(false);
  });
});
