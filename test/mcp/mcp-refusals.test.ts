import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueToken, revokeToken } from '../../src/core/manage-tokens.ts';
import { mcpHarness, type McpHarness } from '../support/mcp-harness.ts';

let h: McpHarness;
let agent: Client;

beforeAll(async () => {
  h = await mcpHarness();
  agent = await h.client('svc-agent');
});
afterAll(async () => h?.close());

const INITIALIZE = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '0' } } };
const ASK = { resources: ['orders-db'], duration: '20m', reason: 'INC-42 reconcile orders', reasoning: 'needs to write corrected totals' };

async function post(authorization: string | undefined, body: string = JSON.stringify(INITIALIZE)) {
  const response = await fetch(new URL('/mcp', h.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(authorization && { authorization }) },
    body,
  });
  return { status: response.status, auth: response.headers.get('www-authenticate'), body: JSON.parse(await response.text()) };
}

async function snapshot() {
  return { requests: (await h.app.store.listRequests({ requesterId: 'svc-agent' })).length, audit: (await h.app.store.readAudit(0n, 100_000)).length };
}

describe('MCP: HTTP 401 before any JSON-RPC', () => {
  it('refuses a missing token with 401, WWW-Authenticate: Bearer and our error body', async () => {
    const res = await post(undefined);
    expect(res.status).toBe(401);
    expect(res.auth).toMatch(/^Bearer realm="stint"$/);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
    expect(res.body).not.toHaveProperty('jsonrpc');
  });

  it('refuses an unknown (foreign) token, an expired one and a revoked one, even with a malformed body', async () => {
    const clock = h.clock;
    const policy = h.app.policy.current();
    const expiring = await issueToken({ ownerId: 'svc-agent', issuedBy: 'test', expiresInSec: 60 }, { tokens: h.app.store, clock, policy });
    const revoked = await issueToken({ ownerId: 'svc-agent', issuedBy: 'test' }, { tokens: h.app.store, clock, policy });
    await revokeToken(revoked.record.prefix, 'test', { tokens: h.app.store, clock });
    clock.advance(61_000);
    for (const [token, why] of [
      ['stint_live_notOneOfOursAtAllxxxxxxxxxxxxxxxx', /Unknown token/],
      ['ghp_someOtherSystemsToken', /Unknown token/],
      [expiring.token, /expired/],
      [revoked.token, /revoked/],
    ] as const) {
      for (const body of [JSON.stringify(INITIALIZE), '{"jsonrpc": "2.0", oops']) {
        const res = await post(`Bearer ${token}`, body);
        expect(res.status).toBe(401);
        expect(res.auth).toBe('Bearer realm="stint", error="invalid_token"');
        expect(res.body.error).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(why) });
        expect(res.body).not.toHaveProperty('jsonrpc');
      }
    }
  });

  it('makes the SDK client fail to connect with a bad token', async () => {
    await expect(h.client('stint_live_forgedforgedforgedforged')).rejects.toThrow(/UNAUTHENTICATED/);
  });

  it('answers GET and DELETE with 405 (stateless: no sessions)', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(new URL('/mcp', h.url), { method, headers: { authorization: `Bearer ${h.tokens['svc-agent']}` } });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
    }
  });
});

describe('MCP: refused tool calls are isError results with our code, and change nothing', () => {
  it.each([
    ['an unknown argument', { ...ASK, breakGlass: true }, 'breakGlass'],
    ['a missing reasoning', { resources: ASK.resources, duration: ASK.duration, reason: ASK.reason }, 'reasoning'],
    ['a blank reasoning', { ...ASK, reasoning: '   ' }, 'reasoning'],
    ['a wrong type', { ...ASK, resources: 'orders-db' }, 'resources'],
  ])('request_access with %s → INVALID_BODY naming the field', async (_what, args, field) => {
    const before = await snapshot();
    const { result, json } = await h.tool(agent, 'request_access', args);
    expect(result.isError).toBe(true);
    expect(json.error).toMatchObject({ code: 'INVALID_BODY', details: { field } });
    expect(json.error.message).toContain(field);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a duration above the account\'s maxJitDuration with DURATION_TOO_LONG, naming the maximum', async () => {
    const before = await snapshot();
    const { result, json } = await h.tool(agent, 'request_access', { ...ASK, duration: '2h' });
    expect(result.isError).toBe(true);
    expect(json.error.code).toBe('DURATION_TOO_LONG');
    expect(json.error.message).toMatch(/30m/);
    expect(await snapshot()).toEqual(before);
  });

  it('refuses a wait longer than 50 s, and unknown arguments on every tool', async () => {
    const wait = await h.tool(agent, 'wait_for_decision', { id: 'jit_x', timeoutSeconds: 51 });
    expect(wait.result.isError).toBe(true);
    expect(wait.json.error).toMatchObject({ code: 'INVALID_BODY', details: { field: 'timeoutSeconds' } });
    const list = await h.tool(agent, 'list_my_grants', { all: true });
    expect(list.json.error).toMatchObject({ code: 'INVALID_BODY', details: { field: 'all' } });
  });

  it('answers an unknown tool with a JSON-RPC error, as the MCP spec says', async () => {
    await expect(agent.callTool({ name: 'grant_myself_root', arguments: {} })).rejects.toThrow(/Unknown tool grant_myself_root/);
  });
});
