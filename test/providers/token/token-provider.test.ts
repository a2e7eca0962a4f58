/**
 * The `token` provider on real PostgreSQL (issue 10): one stint_jit_ credential per request, bound to its token
 * scopes and expiry, stored as a SHA-256 only, rotated on each reveal, idempotent grant and revoke.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../../../src/core/manage-tokens.ts';
import type { GrantHandleRecord } from '../../../src/core/ports.ts';
import { isStintError } from '../../../src/domain/errors.ts';
import { defaultProviders } from '../../../src/providers/default-providers.ts';
import { createProviderRegistry } from '../../../src/providers/registry.ts';
import { createTokenProvider } from '../../../src/providers/token/token-provider.ts';
import { tokenHarness, type TokenHarness } from '../../support/token-harness.ts';

let h: TokenHarness;
beforeAll(async () => {
  h = await tokenHarness();
}, 60_000);
afterAll(async () => h?.close());

const token = () => h.app.providers.get('token');
async function handleOf(requestId: string, scope: string): Promise<GrantHandleRecord> {
  const handle = (await h.app.store.listGrantHandles(requestId)).find((g) => g.resourceId === scope);
  if (!handle) throw new Error(`no handle for ${scope}`);
  return handle;
}

describe('token provider', () => {
  it('grants a scope as a live credential, reveals it, rotates it on the next reveal and revokes it', async () => {
    const id = await h.activeRequest('svc-agent', ['data:write']);
    const handle = await handleOf(id, 'data:write');
    expect(handle.data).toEqual({ requestId: id, scope: 'data:write' });
    expect(await token().check(handle.config, handle.data)).toBe('present');

    const first = await h.reveal('svc-agent', id);
    expect(first).toMatch(/^stint_jit_[A-Za-z0-9_-]{43,}$/);
    expect(await h.introspect(first, 'data:write')).toMatchObject({ active: true, scope: 'data:write', sub: 'svc-agent', request_id: id, token_type: 'stint_jit' });

    const second = await h.reveal('svc-agent', id);
    expect(second).not.toBe(first);
    expect(await h.introspect(first)).toEqual({ active: false });
    expect(await h.introspect(second)).toMatchObject({ active: true });

    const revoked = await h.call('erin', 'POST', `/api/v1/credentials/jit/${id}/revoke`, { comment: 'task finished' });
    expect(revoked.body.status).toBe('REVOKED');
    expect(await token().check(handle.config, handle.data)).toBe('absent');
    expect(await h.introspect(second)).toEqual({ active: false });
  });

  it('stores only the SHA-256 of the value and a display prefix, never the value', async () => {
    const id = await h.activeRequest('alice', ['data:write']);
    const value = await h.reveal('alice', id);
    const row = await h.app.store.getJitCredential(id);
    expect(row).toMatchObject({ principalId: 'alice', hash: hashToken(value), prefix: value.slice(0, 'stint_jit_'.length + 8), scopes: ['data:write'], revokedAt: null });
    expect(JSON.stringify(row)).not.toContain(value);
    expect(h.logs.join('')).not.toContain(value.slice('stint_jit_'.length));
  });

  it('answers a revoke of an absent or already revoked credential with success', async () => {
    const id = await h.activeRequest('alice', ['data:read']);
    const handle = await handleOf(id, 'data:read');
    await token().revoke(handle.config, handle.data, { stillNeeded: false });
    await token().revoke(handle.config, handle.data, { stillNeeded: false });
    await token().revoke({ type: 'token' }, { requestId: 'jit_nothing_here', scope: 'data:read' }, { stillNeeded: false });
    expect(await token().check(handle.config, handle.data)).toBe('absent');
    expect((await h.app.store.getJitCredential(id))?.revokedAt).toBeInstanceOf(Date);
  });

  it('removes the scope even when another request of the same person still holds it (each request has its own credential)', async () => {
    const id = await h.activeRequest('alice', ['data:read']);
    const handle = await handleOf(id, 'data:read');
    await token().revoke(handle.config, handle.data, { stillNeeded: true });
    expect(await token().check(handle.config, handle.data)).toBe('absent');
  });

  it('gives a request with two token scopes one credential, revealed for the first scope and carrying both', async () => {
    const id = await h.activeRequest('svc-agent', ['data:write', 'data:read']);
    const revealed = await h.call('svc-agent', 'POST', `/api/v1/credentials/jit/${id}/credential`, {});
    expect(revealed.status).toBe(200);
    expect(revealed.body.credentials).toHaveLength(1);
    expect(revealed.body.credentials[0]).toMatchObject({ resourceId: 'data:read', username: 'svc-agent', hint: expect.stringContaining('scopes: data:read data:write') });
    const value = revealed.body.credentials[0].password as string;
    expect(await h.introspect(value)).toMatchObject({ active: true, scope: 'data:read data:write' });

    const write = await handleOf(id, 'data:write');
    await expect(token().credential!(write.config, write.data)).rejects.toSatisfy((e) => isStintError(e) && e.code === 'POLICY_INVALID' && /covered by .* for data:read/.test(e.message));

    const read = await handleOf(id, 'data:read');
    await token().revoke(read.config, read.data, { stillNeeded: false });
    expect(await token().check(read.config, read.data)).toBe('absent');
    expect(await token().check(write.config, write.data)).toBe('present');
    expect(await h.introspect(value)).toMatchObject({ active: true, scope: 'data:write' });
    await token().revoke(write.config, write.data, { stillNeeded: false });
    expect(await h.introspect(value)).toEqual({ active: false });
  });

  it('grants idempotently: the same target twice keeps one scope and the same handle', async () => {
    const target = { requestId: 'jit_idem', resourceId: 'data:write', principalId: 'alice', account: undefined, expiresAt: new Date(h.clock.now().getTime() + 600_000) };
    const a = await token().grant({ type: 'token' }, target);
    const b = await token().grant({ type: 'token' }, target);
    expect(b).toEqual(a);
    expect((await h.app.store.getJitCredential('jit_idem'))?.scopes).toEqual(['data:write']);
  });

  it('moves the expiry on extend, and introspection answers the new one', async () => {
    const id = await h.activeRequest('alice', ['data:write']);
    const value = await h.reveal('alice', id);
    const handle = await handleOf(id, 'data:write');
    const later = new Date(Math.ceil(h.clock.now().getTime() / 1000) * 1000 + 3_600_000);
    await token().extend(handle.config, handle.data, later);
    expect((await h.app.store.getJitCredential(id))?.expiresAt).toEqual(later);
    expect(await h.introspect(value)).toMatchObject({ active: true, exp: later.getTime() / 1000 });
  });

  it('validates { type: token } only, naming any other key', () => {
    expect(() => token().validate({ type: 'token' })).not.toThrow();
    expect(() => token().validate({ type: 'token', role: 'admin' })).toThrow(/token provider: unknown key\(s\) role/);
    expect(() => token().validate({ type: 'token', mode: 'membership' })).toThrow(/mode/);
  });

  it('is known to the store-less registry of `stint policy check`, and fails closed there when asked to grant', async () => {
    const registry = createProviderRegistry(defaultProviders({}));
    expect(registry.checkPolicy(h.policy)).toEqual([]);
    const target = { requestId: 'jit_x', resourceId: 'data:write', principalId: 'alice', account: undefined, expiresAt: new Date() };
    await expect(createTokenProvider().grant({ type: 'token' }, target)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('describes what a grant gives', () => {
    expect(token().describe({ type: 'token' })).toContain('stint_jit_ credential');
  });
});

describe('token provider on embedded PGlite', () => {
  let p: TokenHarness;
  beforeAll(async () => {
    p = await tokenHarness({ pglite: true });
  }, 60_000);
  afterAll(async () => p?.close());

  it('grants, reveals, introspects and revokes the same way', async () => {
    const id = await p.activeRequest('svc-agent', ['data:write', 'data:read']);
    const value = await p.reveal('svc-agent', id);
    expect(await p.introspect(value)).toMatchObject({ active: true, scope: 'data:read data:write', request_id: id, client_id: 'svc-agent' });
    await p.call('svc-agent', 'POST', `/api/v1/credentials/jit/${id}/done`, {});
    expect(await p.introspect(value)).toEqual({ active: false });
  });
});
