import { describe, expect, it } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { advanceRequest } from '../../src/core/advance-request.ts';
import { createRequest, type CreateRequestInput } from '../../src/core/create-request.ts';
import { endGrant } from '../../src/core/end-grant.ts';
import { extendGrant } from '../../src/core/extend-grant.ts';
import type { GrantHandleData, GrantPorts, Provider } from '../../src/core/ports.ts';
import { createNoopProvider } from '../../src/providers/noop/noop-provider.ts';
import { ADMIN_TOKEN, coreHarness, person } from '../support/core-harness.ts';

const HOUR = 3600_000;

/** The no-op provider, recording each extend call (or failing them, for the fault test). */
function recordingProvider(options: { failExtend?: string } = {}) {
  const inner = createNoopProvider();
  const extended: Array<{ handle: GrantHandleData; newExpiry: Date }> = [];
  const provider: Provider = {
    ...inner,
    async extend(config, handle, newExpiry) {
      if (options.failExtend) throw new Error(options.failExtend);
      extended.push({ handle, newExpiry });
      return inner.extend(config, handle, newExpiry);
    },
  };
  return { provider, extended, inner };
}

function setup(options: { failExtend?: string } = {}) {
  const h = coreHarness();
  const { provider, extended, inner } = recordingProvider(options);
  const grantPorts: GrantPorts = { ...h.ports, providers: { get: () => provider } };
  return { ...h, grantPorts, extended, inner };
}

type Setup = ReturnType<typeof setup>;

async function activeRequest(h: Setup, input: Partial<CreateRequestInput> = {}) {
  const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['dev-api'], duration: '1h', reason: 'debug', ...input }, h.ports);
  expect(request.status).toBe('APPROVED');
  const { status, request: active } = await activateGrant(request.id, h.grantPorts);
  expect(status).toBe('ACTIVE');
  return active!;
}

describe('extendGrant', () => {
  it('moves the expiry through the provider, bumps the generation, records the new total duration, sets the new revoke timer and audits it', async () => {
    const h = setup();
    const active = await activeRequest(h);
    const oldExpiry = active.expiresAt!;
    const newExpiry = new Date(oldExpiry.getTime() + 30 * 60_000);

    const extended = await extendGrant(person('alice'), { requestId: active.id, duration: '30m', comment: 'almost there' }, h.grantPorts);

    expect(extended).toMatchObject({ status: 'ACTIVE', expiresAt: newExpiry, nextActionAt: newExpiry, generation: active.generation + 1 });
    expect(h.extended.map((e) => e.newExpiry)).toEqual([newExpiry]);
    // The grant's length is now 1h30m in all: what the card and the REST view show as its duration.
    expect(await h.store.getRequest(active.id)).toMatchObject({ expiresAt: newExpiry, generation: 1, durationSec: 90 * 60 });
    expect(h.scheduler.of(active.id)).toContainEqual({ kind: 'revoke', requestId: active.id, key: 'g1', at: newExpiry });
    expect(h.scheduler.of(active.id)).toContainEqual({ kind: 'remind', requestId: active.id, generation: 1, at: new Date(newExpiry.getTime() - 10 * 60_000) });
    expect(h.store.state.audit.at(-1)).toMatchObject({
      actor: 'alice',
      action: 'grant.extended',
      requestId: active.id,
      data: { from: oldExpiry.toISOString(), to: newExpiry.toISOString(), duration: '30m', comment: 'almost there' },
    });
    expect(h.notifier.sent.at(-1)).toMatchObject({ kind: 'grant.extended', actorId: 'alice', previousExpiresAt: oldExpiry, request: { expiresAt: newExpiry } });
  });

  it('never revokes and grants again: the provider is asked to extend the handle it granted', async () => {
    const h = setup();
    const active = await activeRequest(h);
    await extendGrant(person('alice'), { requestId: active.id, duration: '15m' }, h.grantPorts);
    const [handle] = await h.store.listGrantHandles(active.id);
    expect(h.extended[0]!.handle).toEqual(handle!.data);
    expect(h.inner.activeGrants()).toEqual([`${active.id}/dev-api`]);
    expect(h.store.state.audit.map((e) => e.action)).not.toContain('grant.revoking');
  });

  it('refuses to make the whole grant longer than maxDuration, naming the maximum and what can still be added', async () => {
    const h = setup();
    const active = await activeRequest(h);
    const refused = extendGrant(person('bob'), { requestId: active.id, duration: '8h' }, h.grantPorts);
    await expect(refused).rejects.toMatchObject({ code: 'DURATION_TOO_LONG', details: { maximum: '8h', remaining: '7h' } });
    await expect(refused).rejects.toThrow(/maxDuration of 8h; you can add at most 7h more/);
    expect(h.extended).toEqual([]);
  });

  it('holds a break-glass grant to the break-glass maximum, and lets its requester extend without an approver', async () => {
    const h = setup();
    const active = await activeRequest(h, { scopes: ['prod-orders-db'], duration: '30m', breakGlass: true, reason: 'orders are stuck and paging everyone' });
    expect((await extendGrant(person('alice'), { requestId: active.id, duration: '20m' }, h.grantPorts)).generation).toBe(1);
    await expect(extendGrant(person('alice'), { requestId: active.id, duration: '20m' }, h.grantPorts)).rejects.toThrow(/break-glass maxDuration of 1h; you can add at most 10m more/);
  });

  it('refuses an unparseable duration with INVALID_DURATION', async () => {
    const h = setup();
    const active = await activeRequest(h);
    await expect(extendGrant(person('alice'), { requestId: active.id, duration: 'soon' }, h.grantPorts)).rejects.toMatchObject({ code: 'INVALID_DURATION' });
  });

  it('refuses a request that is not ACTIVE with NOT_PENDING and its status', async () => {
    const h = setup();
    const { request: approved } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['dev-api'], duration: '1h', reason: 'x' }, h.ports);
    await expect(extendGrant(person('alice'), { requestId: approved.id, duration: '10m' }, h.grantPorts)).rejects.toMatchObject({
      code: 'NOT_PENDING',
      details: { status: 'APPROVED' },
    });

    const active = await activeRequest(h);
    await endGrant(person('alice'), { requestId: active.id, cause: 'done' }, h.grantPorts);
    const refused = extendGrant(person('alice'), { requestId: active.id, duration: '10m' }, h.grantPorts);
    await expect(refused).rejects.toMatchObject({ code: 'NOT_PENDING', details: { status: 'REVOKED' } });
    await expect(refused).rejects.toThrow('This request is REVOKED: there is no active grant to extend; request again');
  });

  it('refuses a grant whose expiry has already come (its revoke is due)', async () => {
    const h = setup();
    const active = await activeRequest(h);
    h.clock.set(active.expiresAt!);
    await expect(extendGrant(person('alice'), { requestId: active.id, duration: '10m' }, h.grantPorts)).rejects.toMatchObject({ code: 'NOT_PENDING' });
  });

  it('sends a requester whose total would not be auto-approved to an approver, and lets that approver extend', async () => {
    const h = setup();
    const active = await activeRequest(h);
    // 1h + 1h30m = 2h30m: above dev-auto's DURATION LESS_THAN 2h. alice is in the approver group too, but not for her own grant.
    const refused = extendGrant(person('alice'), { requestId: active.id, duration: '1h30m' }, h.grantPorts);
    await expect(refused).rejects.toMatchObject({ code: 'NOT_ELIGIBLE', details: { workflow: 'dev-auto' } });
    await expect(refused).rejects.toThrow(`needs an approver of workflow dev-auto (they can run \`stint extend ${active.id} 1h30m\`), or request again`);
    expect(h.extended).toEqual([]);

    const extended = await extendGrant(person('bob'), { requestId: active.id, duration: '1h30m' }, h.grantPorts);
    expect(extended.expiresAt).toEqual(new Date(active.expiresAt!.getTime() + 1.5 * HOUR));
    expect(h.store.state.audit.at(-1)).toMatchObject({ actor: 'bob', action: 'grant.extended' });
  });

  it('lets an admin extend any grant', async () => {
    const h = setup();
    const active = await activeRequest(h);
    expect((await extendGrant(ADMIN_TOKEN, { requestId: active.id, duration: '3h' }, h.grantPorts)).generation).toBe(1);
  });

  it('answers NOT_FOUND to someone who may not see the request, as for an unknown id', async () => {
    const h = setup();
    const active = await activeRequest(h);
    await expect(extendGrant(person('mallory'), { requestId: active.id, duration: '10m' }, h.grantPorts)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(extendGrant(person('alice'), { requestId: 'jit_unknown', duration: '10m' }, h.grantPorts)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('leaves expiry and generation unchanged when a provider refuses, and says the old expiry stays', async () => {
    const h = setup({ failExtend: 'connection refused' });
    const active = await activeRequest(h);
    const timersBefore = h.scheduler.timers.length;
    const refused = extendGrant(person('alice'), { requestId: active.id, duration: '30m' }, h.grantPorts);
    await expect(refused).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { resourceId: 'dev-api' } });
    await expect(refused).rejects.toThrow(`Extending dev-api failed (connection refused); the grant keeps its expiry of ${active.expiresAt!.toISOString()}`);
    expect(await h.store.getRequest(active.id)).toMatchObject({ status: 'ACTIVE', expiresAt: active.expiresAt, generation: 0 });
    expect(h.store.state.audit.map((e) => e.action)).not.toContain('grant.extended');
    expect(h.scheduler.timers).toHaveLength(timersBefore);
  });

  it('puts a scope already extended back to the old expiry when a later scope refuses', async () => {
    const h = coreHarness();
    const inner = createNoopProvider();
    const calls: Array<[string, Date]> = [];
    const provider: Provider = {
      ...inner,
      async extend(config, handle, newExpiry) {
        calls.push([String(handle.key).split('/')[1]!, newExpiry]);
        if (String(handle.key).endsWith('/dev-web')) throw new Error('role is locked');
        return inner.extend(config, handle, newExpiry);
      },
    };
    const grantPorts: GrantPorts = { ...h.ports, providers: { get: () => provider } };
    const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['dev-api', 'dev-web'], duration: '1h', reason: 'x' }, h.ports);
    const active = (await activateGrant(request.id, grantPorts)).request!;
    const later = new Date(active.expiresAt!.getTime() + 30 * 60_000);
    await expect(extendGrant(person('alice'), { requestId: active.id, duration: '30m' }, grantPorts)).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { resourceId: 'dev-web' } });
    expect(calls).toEqual([['dev-api', later], ['dev-web', later], ['dev-api', active.expiresAt]]);
    expect(await h.store.getRequest(active.id)).toMatchObject({ expiresAt: active.expiresAt, generation: 0 });
  });

  it('answers UNAVAILABLE while another worker holds the grant lease, changing nothing', async () => {
    const h = setup();
    const active = await activeRequest(h);
    await h.store.claimRequest(active.id, 'someone-else', new Date(h.clock.now().getTime() + 10_000), h.clock.now());
    await expect(extendGrant(person('alice'), { requestId: active.id, duration: '30m' }, h.grantPorts)).rejects.toThrow(/being changed right now; try again in a few seconds/);
    expect(h.extended).toEqual([]);
  });

  it('makes the revoke timer of the old expiry harmless: at the old expiry the grant stays ACTIVE, at the new one it ends', async () => {
    const h = setup();
    const active = await activeRequest(h);
    const extended = await extendGrant(person('alice'), { requestId: active.id, duration: '30m' }, h.grantPorts);

    h.clock.set(active.expiresAt!);
    expect(await advanceRequest(active.id, h.grantPorts)).toBe('nothing');
    expect(await h.store.getRequest(active.id)).toMatchObject({ status: 'ACTIVE', generation: 1 });
    expect(h.inner.activeGrants()).toHaveLength(1);

    h.clock.set(extended.expiresAt!);
    expect(await advanceRequest(active.id, h.grantPorts)).toBe('revoked');
    expect(h.inner.activeGrants()).toEqual([]);
  });
});
