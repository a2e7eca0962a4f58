/**
 * POST /api/v1/introspect (issue 10): the policy enforcement point's question, over a form (RFC 7662) or JSON,
 * answered from a cache that is at most 1 s old and forgets at once what this process revokes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/core/manage-tokens.ts';
import { tokenHarness, type TokenHarness } from '../support/token-harness.ts';

let h: TokenHarness;
beforeAll(async () => {
  h = await tokenHarness();
}, 60_000);
afterAll(async () => h?.close());

async function live(who = 'svc-agent', scopes = ['data:write']): Promise<{ id: string; value: string }> {
  const id = await h.activeRequest(who, scopes);
  return { id, value: await h.reveal(who, id) };
}

const post = (headers: Record<string, string>, payload: string) => h.app.server.inject({ method: 'POST', url: '/api/v1/introspect', headers, payload });
const rs = () => ({ authorization: `Bearer ${h.tokens.rs}` });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('POST /api/v1/introspect', () => {
  it('answers a form body (RFC 7662) with active, scope, exp, iat, sub, request_id, token_type and client_id', async () => {
    const { id, value } = await live();
    const res = await post({ ...rs(), 'content-type': 'application/x-www-form-urlencoded' }, new URLSearchParams({ token: value, scope: 'data:write', token_type_hint: 'access_token' }).toString());
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const expiresAt = new Date((await h.call('svc-agent', 'GET', `/api/v1/credentials/jit/${id}`)).body.expiresAt as string);
    expect(JSON.parse(res.body)).toEqual({
      active: true,
      scope: 'data:write',
      exp: Math.floor(expiresAt.getTime() / 1000),
      iat: expect.any(Number),
      sub: 'svc-agent',
      request_id: id,
      token_type: 'stint_jit',
      client_id: 'svc-agent',
    });
  });

  it('answers a JSON body, without client_id for a person', async () => {
    const { value } = await live('alice');
    const answer = await h.introspect(value);
    expect(answer).toMatchObject({ active: true, sub: 'alice' });
    expect(answer).not.toHaveProperty('client_id');
  });

  it('answers only { active: false } for an unknown, malformed or stint_live_ token', async () => {
    for (const token of ['stint_jit_nope', 'hello', h.tokens.alice!]) expect(await h.introspect(token)).toEqual({ active: false });
  });

  it('refuses a body without token with 400 INVALID_BODY, as JSON or form', async () => {
    const json = await h.call('rs', 'POST', '/api/v1/introspect', { scope: 'data:write' });
    expect([json.status, json.body.error.code, json.body.error.details.field]).toEqual([400, 'INVALID_BODY', 'token']);
    const form = await post({ ...rs(), 'content-type': 'application/x-www-form-urlencoded' }, 'scope=data%3Awrite');
    expect([form.statusCode, JSON.parse(form.body).error.code]).toEqual([400, 'INVALID_BODY']);
  });

  it('refuses a caller without a valid stint_live_ token with 401, and one presenting a stint_jit_ as its own token', async () => {
    const { value } = await live('alice');
    const none = await post({ 'content-type': 'application/json' }, JSON.stringify({ token: value }));
    expect([none.statusCode, JSON.parse(none.body).error.code]).toEqual([401, 'UNAUTHENTICATED']);
    const jit = await post({ authorization: `Bearer ${value}`, 'content-type': 'application/json' }, JSON.stringify({ token: value }));
    expect(jit.statusCode).toBe(401);
  });

  it("stops answering a resource server whose token was revoked, within the 1 s its authentication is remembered", async () => {
    const { value } = await live('alice');
    const { token, record } = await issueToken({ ownerId: 'svc-orders-api', issuedBy: 'test', scopes: ['introspect'] }, { tokens: h.app.store, clock: h.clock, policy: h.policy });
    const ask = () => post({ authorization: `Bearer ${token}`, 'content-type': 'application/json' }, JSON.stringify({ token: value }));
    expect((await ask()).statusCode).toBe(200);
    await h.app.store.revokeToken(record.prefix, { actor: 'test', action: 'token.revoked', data: { prefix: record.prefix }, at: h.clock.now() });
    await sleep(1_050);
    expect((await ask()).statusCode).toBe(401);
  });

  it('refuses a token without the introspect scope with 403 FORBIDDEN, and lets an admin ask', async () => {
    const { value } = await live('alice');
    const alice = await h.call('alice', 'POST', '/api/v1/introspect', { token: value });
    expect([alice.status, alice.body.error.code]).toEqual([403, 'FORBIDDEN']);
    const erin = await h.call('erin', 'POST', '/api/v1/introspect', { token: value });
    expect(erin.body).toMatchObject({ active: true });
  });

  it('answers inactive once the credential expires, without waiting for the cache', async () => {
    const { id, value } = await live();
    expect(await h.introspect(value)).toMatchObject({ active: true });
    const expiresAt = new Date((await h.call('svc-agent', 'GET', `/api/v1/credentials/jit/${id}`)).body.expiresAt as string);
    const now = h.clock.now();
    h.clock.set(expiresAt);
    try {
      expect(await h.introspect(value)).toEqual({ active: false });
    } finally {
      h.clock.set(now);
    }
  });

  it('answers inactive at once when this process revokes the request', async () => {
    const { id, value } = await live();
    expect(await h.introspect(value)).toMatchObject({ active: true });
    await h.call('svc-agent', 'POST', `/api/v1/credentials/jit/${id}/done`, {});
    expect(await h.introspect(value)).toEqual({ active: false });
  });

  it('answers inactive within the 1 s cache bound when another replica ended the request', async () => {
    const { id, value } = await live();
    expect(await h.introspect(value)).toMatchObject({ active: true });
    // Another replica's revoke: the row changes under this process, which hears nothing of it.
    await h.app.store.driver.query(`UPDATE "Request" SET "status" = 'REVOKED' WHERE "id" = $1`, [id]);
    await sleep(1_050);
    expect(await h.introspect(value)).toEqual({ active: false });
  });

  it('answers inactive for a suspended service account, and for a person the policy disabled', async () => {
    const agent = await live('svc-agent');
    const person = await live('alice');
    await h.app.store.driver.query(`UPDATE "ServiceAccount" SET "suspended" = true WHERE "id" = 'svc-agent'`);
    const disabled = { ...h.policy, people: new Map([...h.policy.people].map(([id, p]) => [id, id === 'alice' ? { ...p, disabled: true } : p])) };
    h.app.policy.replace(disabled);
    try {
      expect(await h.introspect(agent.value)).toEqual({ active: false });
      expect(await h.introspect(person.value)).toEqual({ active: false });
    } finally {
      h.app.policy.replace(h.policy);
      await h.app.store.driver.query(`UPDATE "ServiceAccount" SET "suspended" = false WHERE "id" = 'svc-agent'`);
    }
  });

  it("asks the guardrails about a service account's live credential only, and a tripped one answers inactive", async () => {
    const agent = await live('svc-agent');
    const person = await live('alice');
    const asked: unknown[] = [];
    let trip = false;
    h.app.introspection.guardrail = async (input) => {
      asked.push(input);
      return trip;
    };
    try {
      expect(await h.introspect(agent.value, 'data:write')).toMatchObject({ active: true });
      expect(await h.introspect(person.value)).toMatchObject({ active: true });
      const row = (await h.app.store.getRequest(agent.id))!;
      expect(asked).toEqual([
        {
          serviceAccountId: 'svc-agent',
          requestId: agent.id,
          request: { requesterId: 'svc-agent', reason: row.reason, ticket: row.ticket },
          credentialScopes: ['data:write'],
          askedScope: 'data:write',
          resourceServerId: 'svc-orders-api',
        },
      ]);
      trip = true;
      expect(await h.introspect(agent.value)).toEqual({ active: false });
    } finally {
      delete h.app.introspection.guardrail;
    }
  });

  it('never logs the presented token, and counts introspections in /metrics', async () => {
    const { value } = await live();
    await h.introspect(value);
    expect(h.logs.join('')).not.toContain(value.slice('stint_jit_'.length));
    const metrics = await h.app.server.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/stint_introspections_total\{active="true"\} [1-9]/);
    expect(metrics.body).toMatch(/stint_introspections_total\{active="false"\} [1-9]/);
  });

  it('is described in /openapi.json with both body types', async () => {
    const doc = JSON.parse((await h.app.server.inject({ method: 'GET', url: '/openapi.json' })).body);
    expect(Object.keys(doc.paths['/api/v1/introspect'].post.requestBody.content)).toEqual(['application/x-www-form-urlencoded', 'application/json']);
  });
});
