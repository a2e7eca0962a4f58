import { describe, expect, it } from 'vitest';
import { mcpHarness } from '../support/mcp-harness.ts';

describe('wait_for_decision during a graceful shutdown', () => {
  it('answers "still pending" at once instead of holding the close', async () => {
    const h = await mcpHarness();
    const agent = await h.client('svc-agent');
    const asked = await h.tool(agent, 'request_access', { resources: ['orders-db'], duration: '10m', reason: 'INC-1 rerun', reasoning: 'a failed job' });
    const waiting = h.tool(agent, 'wait_for_decision', { id: asked.json.id, timeoutSeconds: 50 });
    await new Promise((r) => setTimeout(r, 500));
    await h.app.close();
    const { result, json } = await waiting;
    expect(result.isError).toBeFalsy();
    expect(json).toMatchObject({ settled: false, request: { id: asked.json.id, status: 'PENDING' } });
    await agent.close();
  }, 30_000);
});
