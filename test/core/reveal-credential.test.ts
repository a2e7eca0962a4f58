import { describe, expect, it } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { createRequest } from '../../src/core/create-request.ts';
import type { GrantPorts, Provider } from '../../src/core/ports.ts';
import { revealCredential } from '../../src/core/reveal-credential.ts';
import { createNoopProvider } from '../../src/providers/noop/noop-provider.ts';
import { createPostgresProvider } from '../../src/providers/postgres/postgres-provider.ts';
import { ADMIN_TOKEN, coreHarness, person } from '../support/core-harness.ts';

/** Mints like an ephemeral login: a new password on every call. */
function mintingProvider(): Provider & { minted: string[] } {
  const inner = createNoopProvider();
  const minted: string[] = [];
  return {
    ...inner,
    minted,
    async credential(_config, handle) {
      const password = `pw-${minted.length}-${String(handle.key)}`;
      minted.push(password);
      return { username: 'stint_abc', password, expiresAt: new Date('2026-11-23T11:00:00Z'), hint: 'postgres://stint_abc@db:5432/app' };
    },
  };
}

/** Grants like the postgres provider in membership mode and answers `credential` with the real provider's code. */
function membershipProvider(): Provider {
  const real = createPostgresProvider({ env: {} });
  return {
    ...createNoopProvider(),
    async grant(_config, target) {
      return { mode: 'membership', role: 'dev_rw', account: 'alice', marker: 'm', preexisting: false, key: `${target.requestId}/${target.resourceId}` };
    },
    credential: real.credential!.bind(real),
  };
}

async function activeGrant(provider: Provider, scopes = ['dev-api']) {
  const h = coreHarness();
  const grantPorts: GrantPorts = { ...h.ports, providers: { get: () => provider } };
  const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes, duration: '1h', reason: 'debug' }, h.ports);
  expect((await activateGrant(request.id, grantPorts)).status).toBe('ACTIVE');
  return { ...h, grantPorts, id: request.id };
}

describe('revealCredential', () => {
  it('mints a credential for the requester, one per scope that has one', async () => {
    const provider = mintingProvider();
    const h = await activeGrant(provider);
    const credentials = await revealCredential(person('alice'), h.id, h.grantPorts);
    expect(credentials).toEqual([
      { resourceId: 'dev-api', username: 'stint_abc', password: provider.minted[0], expiresAt: new Date('2026-11-23T11:00:00Z'), hint: 'postgres://stint_abc@db:5432/app' },
    ]);
  });

  it('rotates: each reveal mints a new password', async () => {
    const provider = mintingProvider();
    const h = await activeGrant(provider);
    const [first] = await revealCredential(person('alice'), h.id, h.grantPorts);
    const [second] = await revealCredential(person('alice'), h.id, h.grantPorts);
    expect(second!.password).not.toBe(first!.password);
  });

  it('audits credential.revealed with resource ids and usernames, never the password', async () => {
    const provider = mintingProvider();
    const h = await activeGrant(provider);
    await revealCredential(person('alice'), h.id, h.grantPorts);
    const event = h.store.state.audit.at(-1)!;
    expect(event).toMatchObject({ actor: 'alice', action: 'credential.revealed', requestId: h.id, data: { resourceIds: ['dev-api'], usernames: ['stint_abc'] } });
    const everything = JSON.stringify([...h.store.state.audit, ...h.store.state.grants, ...h.store.state.requests.values()], (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    expect(everything).not.toContain(provider.minted[0]);
    expect(JSON.stringify(h.notifier.sent)).not.toContain(provider.minted[0]);
  });

  it('reveals to the requester only: approvers and admins get FORBIDDEN, others NOT_FOUND', async () => {
    const provider = mintingProvider();
    const h = await activeGrant(provider);
    await expect(revealCredential(person('bob'), h.id, h.grantPorts)).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/only the requester can reveal credentials/i) });
    await expect(revealCredential(ADMIN_TOKEN, h.id, h.grantPorts)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(revealCredential(person('mallory'), h.id, h.grantPorts)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(provider.minted).toEqual([]);
  });

  it('refuses a request that is not ACTIVE with NOT_PENDING and its status', async () => {
    const h = coreHarness();
    const grantPorts: GrantPorts = { ...h.ports, providers: { get: () => mintingProvider() } };
    const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'x' }, h.ports);
    await expect(revealCredential(person('alice'), request.id, grantPorts)).rejects.toMatchObject({ code: 'NOT_PENDING', details: { status: 'PENDING' } });
  });

  it('answers NO_CREDENTIAL for a membership grant, saying why, and audits nothing', async () => {
    const h = await activeGrant(membershipProvider());
    const before = h.store.state.audit.length;
    const refused = revealCredential(person('alice'), h.id, h.grantPorts);
    await expect(refused).rejects.toMatchObject({ code: 'NO_CREDENTIAL' });
    await expect(refused).rejects.toThrow(/dev-api: this postgres resource grants a role to your own login.*Connect as your own user/);
    expect(h.store.state.audit).toHaveLength(before);
  });

  it('answers NO_CREDENTIAL for a provider type that never mints one, naming what it grants', async () => {
    const h = await activeGrant(createNoopProvider());
    await expect(revealCredential(person('alice'), h.id, h.grantPorts)).rejects.toThrow(/dev-api grants no-op \(in memory\), which has no credential of its own/);
  });

  it('answers UNAVAILABLE when the provider cannot mint, without a credential leaving', async () => {
    const h = await activeGrant({ ...createNoopProvider(), credential: async () => Promise.reject(new Error('connection refused')) });
    await expect(revealCredential(person('alice'), h.id, h.grantPorts)).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('dev-api (connection refused)') });
  });
});
