/** Launch mode at request time (issue 8): the REST field, the view and card, and every launch rule with its message. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequestCard } from '../../src/notify/request-view.ts';
import { gatewayHarness, type GatewayHarness } from '../gateway/gateway-harness.ts';

let h: GatewayHarness;
beforeAll(async () => {
  h = await gatewayHarness();
});
afterAll(async () => {
  await h?.close();
});

const create = (body: Record<string, unknown>) => h.call('alice', 'POST', '/api/v1/credentials/jit', { duration: '30m', reason: 'deploy fix', ...body });

describe('launch requests', () => {
  it('accepts launch on a resource whose provider can launch with jit.create_ephemeral, and shows it on the view', async () => {
    const created = await create({ scopes: ['web-1'], launch: true });
    expect(created.status).toBe(201);
    expect(created.body.launch).toBe(true);
    const plain = await create({ scopes: ['web-1'] });
    expect(plain.body.launch).toBe(false);
  });

  it('says "launch via stint ssh" on the card approvers see', async () => {
    const created = await create({ scopes: ['web-1'], launch: true });
    const request = (await h.app.store.getRequest(created.body.id))!;
    const card = buildRequestCard(request, [], h.app.policy.current(), h.clock.now());
    expect(card.facts.find((f) => f.label === 'Mode')?.value).toMatch(/^launch via stint ssh/);
  });

  it('passes launch to the provider when the grant is made, and never reveals a credential for it', async () => {
    const id = await h.activeLaunch();
    const [handle] = await h.app.store.listGrantHandles(id);
    expect(handle!.data.launch).toBe(true);
    const revealed = await h.call('alice', 'POST', `/api/v1/credentials/jit/${id}/credential`, {});
    expect(revealed.status).toBe(422);
    expect(revealed.body.error).toMatchObject({ code: 'NO_CREDENTIAL' });
    expect(revealed.body.error.message).toContain('is for stint ssh only');
  });

  it('refuses launch on a resource whose provider cannot launch', async () => {
    const refused = await create({ scopes: ['db-1'], launch: true });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('NOT_ELIGIBLE');
    expect(refused.body.error.message).toBe('db-1 cannot be launched with stint ssh: its provider (token) does not open sessions through the SSH gateway; request it without launch (`stint request`)');
  });

  it('refuses launch on a resource without jit.create_ephemeral: true', async () => {
    const refused = await create({ scopes: ['web-elevate'], launch: true });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('NOT_ELIGIBLE');
    expect(refused.body.error.message).toContain('a launch needs an account made for the request (jit.create_ephemeral: true on the resource)');
  });

  it('refuses launch on a resource that makes directory (domain) accounts', async () => {
    const refused = await create({ scopes: ['web-domain'], launch: true });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'NOT_ELIGIBLE', details: { rule: 'launch-local-account' } });
    expect(refused.body.error.message).toContain('web-domain makes directory (domain) accounts, which cannot be launched with stint ssh yet');
  });

  it('refuses launch on a resource that lets the user supply the host', async () => {
    const refused = await create({ scopes: ['web-byhost'], launch: true });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('NOT_ELIGIBLE');
    expect(refused.body.error.message).toContain('web-byhost lets the user supply the host; a JIT launch only goes to a pinned host');
  });

  it('refuses a launch combined with a user-supplied host or credential, naming the field', async () => {
    for (const field of ['host', 'login', 'privateKey']) {
      const refused = await create({ scopes: ['web-1'], launch: true, [field]: 'x' });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 'INVALID_BODY', details: { field } });
      expect(refused.body.error.message).toContain(`JIT launch cannot be combined with a user-supplied credential or host options ("${field}")`);
    }
  });

  it('refuses a launch of more than one resource', async () => {
    const refused = await create({ scopes: ['web-1', 'web-badkey'], launch: true });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'INVALID_BODY', details: { field: 'scopes' } });
    expect(refused.body.error.message).toContain('A launch opens one session on one machine: request one resource, not 2');
  });

  it('documents launch in the OpenAPI create body and the request view', async () => {
    const doc = (await h.call('alice', 'GET', '/openapi.json')).body;
    const post = doc.paths['/api/v1/credentials/jit'].post;
    expect(post.requestBody.content['application/json'].schema.properties.launch.type).toBe('boolean');
    expect(post.responses['201'].content['application/json'].schema.properties.launch.type).toBe('boolean');
    expect(doc.paths['/api/v1/gateway'].get).toBeDefined();
    expect(doc.paths['/api/v1/credentials/jit/{id}/recording'].get).toBeDefined();
  });
});
