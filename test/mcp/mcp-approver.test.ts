import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mcpHarness, type McpHarness } from '../support/mcp-harness.ts';

let h: McpHarness;
let agent: Client;
let reviewer: Client;

beforeAll(async () => {
  h = await mcpHarness();
  agent = await h.client('svc-agent');
  reviewer = await h.client('svc-reviewer');
});
afterAll(async () => h?.close());

async function ask(resource = 'reports-db'): Promise<string> {
  const { json } = await h.tool(agent, 'request_access', { resources: [resource], duration: '10m', reason: 'nightly report rerun', reasoning: 'the report job failed and must be rerun' });
  expect(json).toMatchObject({ status: 'PENDING', agentReasoning: 'the report job failed and must be rerun' });
  return json.id as string;
}

const audit = async (id: string, action: string) => (await h.app.store.readAudit(0n, 100_000)).find((e) => e.requestId === id && e.action === action);

describe('MCP approver tools for an agent reviewer (approverTier: ai_review)', () => {
  it('lists the approver tools, each requiring reasoning', async () => {
    const { tools } = await reviewer.listTools();
    for (const name of ['approve_request', 'deny_request', 'escalate_to_human']) {
      expect(tools.find((t) => t.name === name)?.inputSchema.required, name).toEqual(['id', 'reasoning']);
    }
    expect(tools.map((t) => t.name)).toContain('list_pending');
  });

  it('lists what awaits it and approves a low-risk request, its reasoning audited', async () => {
    const id = await ask();
    const pending = await h.tool(reviewer, 'list_pending');
    expect(pending.json.requests.map((r: { id: string }) => r.id)).toContain(id);
    const { result, json } = await h.tool(reviewer, 'approve_request', { id, reasoning: 'a rerun of a failed nightly job, read-only, 10 minutes' });
    expect(result.isError).toBeFalsy();
    expect(json).toMatchObject({ id, status: 'APPROVED', approvers: [expect.objectContaining({ id: 'svc-reviewer', status: 'approved' })] });
    expect((await audit(id, 'decision.approved'))?.data).toMatchObject({ agent: true, reasoning: 'a rerun of a failed nightly job, read-only, 10 minutes', via: 'mcp' });
  });

  it('denies with its reasoning as the comment the requester sees', async () => {
    const id = await ask();
    const { json } = await h.tool(reviewer, 'deny_request', { id, reasoning: 'no failed job found for last night' });
    expect(json).toMatchObject({ status: 'DENIED', approvers: [expect.objectContaining({ status: 'denied', comment: 'no failed job found for last night' })] });
  });

  it('is refused on a workflow without ai_review, on break-glass, and on a request of its own', async () => {
    const people = await ask('orders-db');
    const outside = await h.tool(reviewer, 'approve_request', { id: people, reasoning: 'looks fine' });
    expect(outside.result.isError).toBe(true);
    // Outside its ai_review workflows the reviewer does not even see the request.
    expect(outside.json.error.code).toBe('NOT_FOUND');

    const glass = await h.rest('alice', 'POST', '/api/v1/credentials/jit', { scopes: ['reports-db'], duration: '10m', reason: 'the reporting cluster is down and the board meets at noon', breakGlass: true });
    expect(glass.status).toBe(201);
    const refused = await h.tool(reviewer, 'approve_request', { id: glass.body.id, reasoning: 'fine' });
    expect(refused.result.isError).toBe(true);
    expect(refused.json.error.code).toBe('NOT_ELIGIBLE');

    const mine = await h.tool(reviewer, 'request_access', { resources: ['reports-db'], duration: '5m', reason: 'check the report totals', reasoning: 'to verify a rerun' });
    expect(mine.json.status).toBe('PENDING');
    const own = await h.tool(reviewer, 'approve_request', { id: mine.json.id, reasoning: 'I need it' });
    expect(own.json.error.code).toBe('SELF_APPROVAL');
    // A requester's token without the approve scope decides nothing.
    const requester = await h.tool(agent, 'approve_request', { id: await ask(), reasoning: 'I need it' });
    expect(requester.json.error.code).toBe('FORBIDDEN');
  });

  it('escalates to a human: the request stays PENDING, humanOnly, and agents may no longer decide it', async () => {
    const id = await ask();
    const escalated = await h.tool(reviewer, 'escalate_to_human', { id, reasoning: 'reruns touch finance data: a person should decide' });
    expect(escalated.result.isError).toBeFalsy();
    expect(escalated.json).toMatchObject({ id, status: 'PENDING', humanOnly: true });
    expect((await audit(id, 'request.escalated_to_human'))?.data).toMatchObject({ reasoning: 'reruns touch finance data: a person should decide', via: 'mcp' });
    const afterwards = await h.tool(reviewer, 'approve_request', { id, reasoning: 'changed my mind' });
    expect(afterwards.json.error.code).toBe('NOT_ELIGIBLE');
    expect((await h.rest('carol', 'POST', `/api/v1/credentials/jit/${id}/approve`, {})).body.status).toBe('APPROVED');
  });

  it.each(['approve_request', 'deny_request', 'escalate_to_human'])('%s without reasoning is INVALID_BODY and changes nothing', async (name) => {
    const id = await ask();
    const before = (await h.app.store.readAudit(0n, 100_000)).length;
    for (const args of [{ id }, { id, reasoning: ' ' }]) {
      const { result, json } = await h.tool(reviewer, name, args);
      expect(result.isError).toBe(true);
      expect(json.error).toMatchObject({ code: 'INVALID_BODY', details: { field: 'reasoning' } });
    }
    expect((await h.app.store.readAudit(0n, 100_000)).length).toBe(before);
    expect((await h.tool(agent, 'get_request', { id })).json).toMatchObject({ status: 'PENDING', humanOnly: false });
  });
});
