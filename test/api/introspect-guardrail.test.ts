/**
 * A policy guardrail evaluated on real introspections (issue 10): a scope used outside its task context trips it,
 * the answer is inactive, the agent's grants are revoked and it is suspended — its tokens refused — until an admin
 * unsuspends it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken } from '../../src/core/manage-tokens.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { TOKEN_POLICY_YAML, tokenHarness, type TokenHarness } from '../support/token-harness.ts';

const GUARDED = `${TOKEN_POLICY_YAML}guardrails:
  - { id: outside-task, when: 'introspection.scope != "" && !(introspection.scope in credential.scopes)', serviceAccounts: [svc-agent] }
`;

let h: TokenHarness;
let root = '';
beforeAll(async () => {
  h = await tokenHarness();
  const policy = parsePolicy(GUARDED, 'guarded.yaml');
  h.app.policy.replace(policy);
  root = (await issueToken({ ownerId: 'erin', issuedBy: 'test', scopes: ['admin'] }, { tokens: h.app.store, clock: h.clock, policy })).token;
}, 60_000);
afterAll(async () => h?.close());

const asRoot = (method: 'GET' | 'POST', url: string, body?: unknown) =>
  h.app.server.inject({ method, url, headers: { authorization: `Bearer ${root}`, 'content-type': 'application/json' }, payload: JSON.stringify(body ?? {}) });

describe('a guardrail on introspection', () => {
  it('stays quiet while the agent uses the scope it was granted', async () => {
    const id = await h.activeRequest('svc-agent', ['data:read']);
    const value = await h.reveal('svc-agent', id);
    expect(await h.introspect(value, 'data:read')).toMatchObject({ active: true });
    expect((await h.app.store.getServiceAccount('svc-agent'))?.suspended).toBe(false);
  });

  it('trips on a scope outside the task: inactive at once, every grant revoked, the account suspended and its token refused', async () => {
    const read = await h.activeRequest('svc-agent', ['data:read']);
    const other = await h.activeRequest('svc-agent', ['data:read']);
    const value = await h.reveal('svc-agent', read);
    expect(await h.introspect(value, 'data:write')).toEqual({ active: false });
    for (const id of [read, other]) expect(await h.app.store.getRequest(id)).toMatchObject({ status: 'REVOKED', revokeCause: 'guardrail' });
    expect(await h.app.store.getServiceAccount('svc-agent')).toMatchObject({ suspended: true, suspendedReason: 'guardrail outside-task matched' });
    expect(await h.introspect(value, 'data:read')).toEqual({ active: false });
    const refused = await h.call('svc-agent', 'GET', '/api/v1/requests');
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toContain('suspended');
  });

  it('lets the agent work again once an admin unsuspends it', async () => {
    expect((await asRoot('POST', '/api/v1/service-accounts/svc-agent/unsuspend', { comment: 'agent fixed' })).statusCode).toBe(200);
    expect((await h.call('svc-agent', 'GET', '/api/v1/requests')).status).toBe(200);
    const id = await h.activeRequest('svc-agent', ['data:read']);
    expect(await h.introspect(await h.reveal('svc-agent', id), 'data:read')).toMatchObject({ active: true });
  });
});
