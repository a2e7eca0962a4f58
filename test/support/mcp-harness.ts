/**
 * A real app listening on a free port, with service accounts (requesters and an agent approver on an
 * `approverTier: ai_review` workflow) in the policy and the in-memory postgres provider,
 * and a real MCP client (the SDK's `Client` over streamable HTTP) per token. Activation is run by the test
 * (`activateGrant`), as in the other API harnesses: no background workers.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createApp, type App } from '../../src/app.ts';
import { issueToken } from '../../src/core/manage-tokens.ts';
import { createLogger } from '../../src/logger.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { createFakePostgresProvider, type FakePostgresProvider } from '../fakes/fake-postgres-provider.ts';
import { FixedClock } from '../fakes/fixed-clock.ts';

export const MCP_POLICY_YAML = `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [sre] }
  - { id: carol, email: carol@example.com, groups: [dba] }
  - { id: mallory, email: mallory@example.com }
timezone: UTC
resources:
  - id: orders-db
    provider: { type: postgres, connection: "env:ORDERS_DB_ADMIN_URL", role: orders_rw, mode: ephemeral }
    maxDuration: 4h
    workflow: one-dba
  - id: reports-db
    provider: { type: postgres, connection: "env:REPORTS_DB_ADMIN_URL", role: reports_ro, mode: ephemeral }
    maxDuration: 4h
    workflow: agent-review
workflows:
  one-dba: { eligible: [group:sre], approvers: [group:dba], required: 1 }
  agent-review:
    eligible: [group:sre]
    approvers: [group:dba]
    required: 1
    approverTier: ai_review
    aiReview: { reviewers: [svc-reviewer], maxRisk: 50 }
breakGlass: { eligible: [group:sre], maxDuration: 1h, notify: [group:dba] }
serviceAccounts:
  - { id: svc-agent, owner: alice, maxJitDuration: 30m, resources: [orders-db, reports-db], onGuardrail: suspend }
  - { id: svc-other, owner: mallory, maxJitDuration: 30m, resources: [orders-db], onGuardrail: revoke }
  - { id: svc-reviewer, owner: carol, maxJitDuration: 15m, resources: [reports-db] }
`;
export interface McpHarness {
  app: App;
  clock: FixedClock;
  provider: FakePostgresProvider;
  url: string;
  tokens: Record<string, string>;
  /** A connected MCP client acting with `who`'s token. */
  client(who: string): Promise<Client>;
  /** Calls a tool and returns the result with its JSON text parsed (the last text item). */
  tool(client: Client, name: string, args?: Record<string, unknown>): Promise<{ result: CallToolResult; json: any; texts: string[] }>;
  /** A REST call over HTTP as `who`. */
  rest(who: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export async function mcpHarness(): Promise<McpHarness> {
  // A Wednesday, 10:00 UTC: no off-hours risk, so the agent-review workflow's requests stay below aiReview.maxRisk.
  const clock = new FixedClock(new Date('2026-11-25T10:00:00Z'));
  const provider = createFakePostgresProvider();
  const policy = parsePolicy(MCP_POLICY_YAML, 'mcp.yaml');
  const app = await createApp({
    env: { STINT_DATA_DIR: 'memory://', LOG_LEVEL: 'silent', PORT: '0' },
    overrides: { clock, policy, providers: [provider], logger: createLogger('silent') },
  });
  const tokens: Record<string, string> = {};
  for (const id of ['alice', 'carol', 'mallory', 'svc-agent', 'svc-other', 'svc-reviewer']) {
    const scopes = id === 'svc-reviewer' ? ['request', 'approve'] : undefined;
    tokens[id] = (await issueToken({ ownerId: id, issuedBy: 'test', scopes }, { tokens: app.store, clock, policy })).token;
  }
  const url = await app.listen();
  const clients: Client[] = [];
  return {
    app,
    clock,
    provider,
    url,
    tokens,
    async client(who) {
      const client = new Client({ name: 'stint-test-agent', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers: { authorization: `Bearer ${tokens[who] ?? who}` } } });
      await client.connect(transport);
      clients.push(client);
      return client;
    },
    async tool(client, name, args = {}) {
      const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
      const texts = result.content.flatMap((c) => (c.type === 'text' ? [c.text] : []));
      let json: unknown;
      try {
        json = JSON.parse(texts.at(-1) ?? 'null');
      } catch {
        json = undefined;
      }
      return { result, json, texts };
    },
    async rest(who, method, path, body) {
      const response = await fetch(new URL(path, url), {
        method,
        headers: { authorization: `Bearer ${tokens[who] ?? who}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: response.status, body: parsed };
    },
    async close() {
      await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      await app.close();
    },
  };
}
