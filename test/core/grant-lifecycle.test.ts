import { describe, expect, it } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { createRequest } from '../../src/core/create-request.ts';
import type { GrantPorts, Provider } from '../../src/core/ports.ts';
import { revokeGrant } from '../../src/core/revoke-grant.ts';
import { StintError } from '../../src/domain/errors.ts';
import { createNoopProvider } from '../../src/providers/noop/noop-provider.ts';
import { person } from '../support/core-harness.ts';
import { approvedDevRequest, grantHarness } from '../support/grant-harness.ts';
import { intercept } from '../support/intercept.ts';

const setup = grantHarness;

/** A provider whose revoke fails a given number of times first (a target that refuses, then comes back). */
function flakyRevoke(failures: number): Provider & { calls: number } {
  const inner = createNoopProvider();
  const flaky = {
    ...inner,
    calls: 0,
    async revoke(config: Record<string, unknown>, handle: Record<string, unknown>, options: { stillNeeded: boolean }) {
      flaky.calls++;
      if (flaky.calls <= failures) throw new Error('connection refused');
      return inner.revoke(config, handle, options);
    },
  };
  return flaky;
}

describe('activateGrant', () => {
  it('grants every scope, records its handle and moves APPROVED → ACTIVE with the expiry as next action', async () => {
    const h = setup();
    const request = await approvedDevRequest(h, '1h');
    const result = await activateGrant(request.id, h.grantPorts);
    expect(result.status).toBe('ACTIVE');
    const expiresAt = new Date(h.clock.now().getTime() + 3600_000);
    expect(result.request).toMatchObject({ status: 'ACTIVE', expiresAt, nextActionAt: expiresAt });
    expect(h.noop.activeGrants()).toHaveLength(1);
    expect(await h.store.listGrantHandles(request.id)).toHaveLength(1);
    expect(h.store.state.audit.map((e) => e.action)).toContain('grant.activated');
  });

  it('does nothing for a request that is not APPROVED (a second run is harmless)', async () => {
    const h = setup();
    const request = await approvedDevRequest(h);
    await activateGrant(request.id, h.grantPorts);
    expect((await activateGrant(request.id, h.grantPorts)).status).toBe('unchanged');
    expect(h.noop.activeGrants()).toHaveLength(1);
  });

  it('fails closed for a provider type this build lacks: GRANT_FAILED, audited, nothing granted', async () => {
    const h = setup();
    const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['sandbox'], duration: '10m', reason: 'x' }, h.ports);
    const result = await activateGrant(request.id, h.grantPorts);
    expect(result.status).toBe('GRANT_FAILED');
    expect(h.store.state.audit.at(-1)).toMatchObject({ action: 'grant.failed' });
    expect(h.notifier.sent.map((n) => n.kind)).toContain('grant.failed');
  });

  it('takes back what it granted when the request was revoked while the provider was still granting', async () => {
    const inner = createNoopProvider();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const h = setup({ postgres: { ...inner, grant: async (c, t) => (await gate, inner.grant(c, t)) } });
    const request = await approvedDevRequest(h);
    const activation = activateGrant(request.id, h.grantPorts);
    await new Promise((r) => setTimeout(r, 10));
    // The activation holds the lease: the revoke is recorded (REVOKING) and the activation, losing its final
    // transition, finishes it.
    expect((await revokeGrant(request.id, 'revoked', 'erin', h.grantPorts)).status).toBe('REVOKING');
    release();
    expect((await activation).status).toBe('unchanged');
    expect(inner.activeGrants()).toEqual([]);
    expect((await h.store.getRequest(request.id))?.status).toBe('REVOKED');
  });
});

/** The harness's store whose transactions fail the first call of `method` as a dropped connection would. */
function failingOnce(store: ReturnType<typeof setup>['store'], method: 'saveGrantHandle' | 'transition'): GrantPorts['store'] {
  let failures = 1;
  const failing = async () => Promise.reject(new Error('Connection terminated unexpectedly'));
  return intercept(store, (key) =>
    key === 'transaction'
      ? (work: Parameters<typeof store.transaction>[0]) =>
          store.transaction((tx) => work(intercept(tx, (k) => (k === method && failures-- > 0 ? failing : undefined))))
      : undefined,
  );
}

describe('activateGrant when the store fails', () => {
  it.each([
    ['its handle cannot be saved', 'saveGrantHandle'],
    ['the activation (which saves the last handle) cannot commit', 'transition'],
  ] as const)('takes back the scope the provider granted when %s, and leaves the request APPROVED for a retry', async (_when, method) => {
    const h = setup();
    const request = await approvedDevRequest(h);
    const store = failingOnce(h.store, method);
    await expect(activateGrant(request.id, { ...h.grantPorts, store })).rejects.toThrow('Connection terminated unexpectedly');
    expect(h.noop.activeGrants()).toEqual([]);
    expect((await h.store.getRequest(request.id))!.status).toBe('APPROVED');
    expect((await activateGrant(request.id, h.grantPorts)).status).toBe('ACTIVE');
    expect(h.noop.activeGrants()).toEqual([`${request.id}/dev-api`]);
  });
});

describe('revokeGrant', () => {
  it('revokes, confirms absence with check(), and ends REVOKED with its cause', async () => {
    const h = setup();
    const request = await approvedDevRequest(h);
    await activateGrant(request.id, h.grantPorts);
    const revoked = await revokeGrant(request.id, 'done', 'alice', h.grantPorts);
    expect(revoked).toMatchObject({ status: 'REVOKED', revokeCause: 'done', nextActionAt: null });
    expect(h.noop.activeGrants()).toHaveLength(0);
    const actions = h.store.state.audit.map((e) => e.action);
    expect(actions.slice(-3)).toEqual(['grant.revoking', 'grant.scope_revoked', 'grant.revoked']);
  });

  it('tells the provider the access is still needed while another active request of the same person covers it', async () => {
    const inner = createNoopProvider();
    const seen: boolean[] = [];
    const h = setup({ postgres: { ...inner, revoke: async (c, d, o) => (seen.push(o.stillNeeded), inner.revoke(c, d, o)) } });
    const first = await approvedDevRequest(h);
    const second = await approvedDevRequest(h);
    await activateGrant(first.id, h.grantPorts);
    await activateGrant(second.id, h.grantPorts);
    await revokeGrant(first.id, 'expired', 'stint', h.grantPorts);
    await revokeGrant(second.id, 'expired', 'stint', h.grantPorts);
    expect(seen).toEqual([true, false]);
  });

  it('never marks REVOKED while the provider fails: stays REVOKING, alerts, and succeeds on a later try', async () => {
    const flaky = flakyRevoke(3);
    const h = setup({ postgres: flaky });
    const request = await approvedDevRequest(h);
    await activateGrant(request.id, h.grantPorts);
    for (let attempt = 1; attempt <= 3; attempt++) {
      await expect(revokeGrant(request.id, 'expired', 'stint', h.grantPorts)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
      expect((await h.store.getRequest(request.id))?.status).toBe('REVOKING');
    }
    const alerts = h.notifier.sent.filter((n) => n.kind === 'grant.revoke_failed');
    expect(alerts).toHaveLength(3);
    expect(alerts.at(-1)).toMatchObject({ attempt: 3 });
    expect((await revokeGrant(request.id, 'expired', 'stint', h.grantPorts)).status).toBe('REVOKED');
    expect(await flaky.check({}, (await h.store.listGrantHandles(request.id))[0]!.data)).toBe('absent');
  });

  it('refuses to revoke a request that never had access', async () => {
    const h = setup();
    const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'x' }, h.ports);
    await expect(revokeGrant(request.id, 'revoked', 'erin', h.grantPorts)).rejects.toMatchObject({ code: 'NOT_PENDING' });
  });
});
