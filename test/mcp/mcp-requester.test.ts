import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { mcpHarness, type McpHarness } from '../support/mcp-harness.ts';

let h: McpHarness;
let agent: Client;

beforeAll(async () => {
  h = await mcpHarness();
  agent = await h.client('svc-agent');
});
afterAll(async () => h?.close());

const ASK = { resources: ['orders-db'], duration: '20m', reason: 'INC-42 reconcile yesterday\'s orders', reasoning: 'The reconciliation job needs to write corrected totals.' };

async function requested(): Promise<string> {
  const { result, json } = await h.tool(agent, 'request_access', ASK);
  expect(result.isError).toBeFalsy();
  expect(json).toMatchObject({ status: 'PENDING', identityId: 'svc-agent', scopes: ['orders-db'], ticket: 'INC-42' });
  return json.id as string;
}

describe('MCP requester tools over streamable HTTP', () => {
  it('lists the requester tools with strict input schemas that require reasoning', async () => {
    const { tools } = await agent.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['request_access', 'get_request', 'wait_for_decision', 'list_my_grants', 'release_access', 'reveal_credential']));
    const request = tools.find((t) => t.name === 'request_access')!;
    expect(request.inputSchema).toMatchObject({ type: 'object', additionalProperties: false });
    expect(request.inputSchema.required).toEqual(expect.arrayContaining(['resources', 'duration', 'reason', 'reasoning']));
    expect(tools.find((t) => t.name === 'wait_for_decision')!.inputSchema.properties).toMatchObject({ timeoutSeconds: { maximum: 50 } });
  });

  it('runs the agent flow: request, block on wait_for_decision, a human approves over REST, ACTIVE; reveal; release', async () => {
    const id = await requested();
    let answered = false;
    const waiting = h.tool(agent, 'wait_for_decision', { id }).finally(() => {
      answered = true;
    });
    const approved = await h.rest('carol', 'POST', `/api/v1/credentials/jit/${id}/approve`, { comment: 'ok for INC-42' });
    expect(approved.body.status).toBe('APPROVED');
    await new Promise((r) => setTimeout(r, 500));
    expect(answered).toBe(false);
    expect((await activateGrant(id, h.app.grants)).status).toBe('ACTIVE');

    const waited = await waiting;
    expect(waited.result.isError).toBeFalsy();
    expect(waited.json).toMatchObject({ settled: true, request: { id, status: 'ACTIVE' } });
    expect(waited.texts).toHaveLength(1);

    const grants = await h.tool(agent, 'list_my_grants');
    expect(grants.json.requests.map((r: { id: string }) => r.id)).toContain(id);

    const revealed = await h.tool(agent, 'reveal_credential', { id });
    expect(revealed.result.isError).toBeFalsy();
    expect(revealed.json.credentials[0].password).toBe(h.provider.minted.at(-1));

    const released = await h.tool(agent, 'release_access', { id, reasoning: 'reconciliation finished' });
    expect(released.json).toMatchObject({ id, status: 'REVOKED', revokeCause: 'done' });
    expect(h.provider.expiries.has(`${id}/orders-db`)).toBe(false);
    expect((await h.tool(agent, 'list_my_grants')).json.requests.map((r: { id: string }) => r.id)).not.toContain(id);
    const events = await h.app.store.readAudit(0n, 10_000);
    expect(events.find((e) => e.requestId === id && e.action === 'credential.revealed')?.data).not.toHaveProperty('password');
    expect(JSON.stringify(events.map((e) => e.data))).not.toContain(revealed.json.credentials[0].password);
  });

  it('answers "still pending, call again" with the view, not an error, when the wait times out', async () => {
    const id = await requested();
    const { result, json } = await h.tool(agent, 'wait_for_decision', { id, timeoutSeconds: 1 });
    expect(result.isError).toBeFalsy();
    expect(json).toMatchObject({ settled: false, request: { id, status: 'PENDING' } });
    expect(json.message).toMatch(/^Still pending \(PENDING.*call wait_for_decision again with id jit_/);
  });

  it('stops waiting when the MCP client goes away', async () => {
    const id = await requested();
    const leaving = await h.client('svc-agent');
    const reads = vi.spyOn(h.app.store, 'getRequest');
    const waiting = h.tool(leaving, 'wait_for_decision', { id, timeoutSeconds: 50 }).catch(() => 'closed');
    await vi.waitFor(() => expect(reads.mock.calls.length).toBeGreaterThan(2), { timeout: 10_000, interval: 50 });
    await leaving.close();
    expect(await waiting).toBe('closed');
    await new Promise((r) => setTimeout(r, 300));
    const after = reads.mock.calls.length;
    await new Promise((r) => setTimeout(r, 600));
    expect(reads.mock.calls.length).toBe(after);
    reads.mockRestore();
  });

  it('shows a request with get_request, and hides another account\'s as NOT_FOUND', async () => {
    const id = await requested();
    expect((await h.tool(agent, 'get_request', { id })).json).toMatchObject({ id, status: 'PENDING' });
    const other = await h.client('svc-other');
    for (const [name, args] of [['get_request', { id }], ['wait_for_decision', { id, timeoutSeconds: 50 }], ['release_access', { id }]] as const) {
      const { result, json } = await h.tool(other, name, args);
      expect(result.isError, name).toBe(true);
      expect(json.error.code, name).toBe('NOT_FOUND');
    }
  });

  it('lets a person use the same tools with their own token', async () => {
    const person = await h.client('alice');
    const { json } = await h.tool(person, 'request_access', { ...ASK, duration: '2h' });
    expect(json).toMatchObject({ identityId: 'alice', status: 'PENDING' });
  });
});
