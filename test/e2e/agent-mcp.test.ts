/**
 * Issue 10 end to end, as an agent and a resource server would drive it: a real `stint all` (PostgreSQL, Redis,
 * workers), a real MCP client over streamable HTTP, the example PEP (examples/pep-express.ts) in this process.
 * request_access → wait_for_decision blocks → a person approves over REST → the credential works at the PEP →
 * release_access → introspection says inactive within 1 s. Then an agent approver: approves a low-risk request,
 * is refused on break-glass, escalates another to a human.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResourceServer } from '../../examples/pep-express.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { cleanEnv, spawnStint, stopAllStintProcesses, type StintProcess } from '../support/stint-process.ts';
import { freePort, sharedRedisEnv } from '../support/test-redis.ts';

const ADMIN = 'e2e-agents-bootstrap-token-0123456789';
const POLICY = `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [sre] }
  - { id: bob, email: bob@example.com, groups: [sre] }
  - { id: erin, email: erin@example.com, groups: [security] }
admins: [group:security]
timezone: UTC
resources:
  - { id: "data:write", provider: { type: token }, maxDuration: 1h, workflow: people }
  - { id: "integrations:write", provider: { type: token }, maxDuration: 1h, workflow: agent-review }
workflows:
  people: { eligible: [group:sre], approvers: [group:sre], required: 1 }
  agent-review:
    eligible: [group:sre]
    approvers: [group:sre]
    required: 1
    approverTier: ai_review
    aiReview: { reviewers: [svc-reviewer], maxRisk: 90 }
breakGlass: { eligible: [group:sre], maxDuration: 1h, notify: [group:security] }
serviceAccounts:
  - { id: svc-agent, owner: alice, maxJitDuration: 30m, resources: ["data:write", "integrations:write"], onGuardrail: suspend }
  - { id: svc-reviewer, owner: erin, maxJitDuration: 15m, resources: ["data:write"] }
  - { id: svc-pep, owner: erin, maxJitDuration: 15m, resources: ["data:write"] }
`;

let db: TestDatabase;
let dir: string;
let stint: StintProcess;
let base: string;
let pep: Server;
let pepUrl: string;
const tokens: Record<string, string> = {};

async function api(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function mcp(token: string): Promise<Client> {
  const client = new Client({ name: 'e2e-agent', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

/** The JSON a tool answered (our tools answer one text block of JSON). */
function payload(result: Awaited<ReturnType<Client['callTool']>>): any {
  const [first] = result.content as Array<{ type: string; text: string }>;
  return JSON.parse(first!.text);
}

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'stint-agents-'));
  writeFileSync(join(dir, 'stint.yaml'), POLICY);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  stint = await spawnStint('all', {
    name: 'agents',
    env: { ...cleanEnv(), ...sharedRedisEnv(), DATABASE_URL: db.url, PORT: String(port), METRICS_PORT: String(await freePort()), STINT_POLICY: join(dir, 'stint.yaml'), STINT_ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'info' },
  });
  for (const [id, scopes] of [['svc-agent', ['request']], ['svc-reviewer', ['approve']], ['svc-pep', ['introspect']], ['bob', ['request', 'approve']], ['alice', ['request', 'approve']]] as const) {
    const created = await api(ADMIN, 'POST', '/api/v1/tokens', { for: id, scopes });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    tokens[id] = created.body.token;
  }
  const pepPort = await freePort();
  pep = createResourceServer({ stintUrl: base, introspectToken: tokens['svc-pep']! }).listen(pepPort);
  pepUrl = `http://127.0.0.1:${pepPort}`;
}, 120_000);

afterAll(async () => {
  pep?.close();
  await stopAllStintProcesses();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an agent over MCP, end to end', () => {
  it('requests, blocks until a person approves, uses the credential at a PEP, releases it, and it is inactive within 1 s', async () => {
    const agent = await mcp(tokens['svc-agent']!);
    try {
      const asked = await agent.callTool({ name: 'request_access', arguments: { resources: ['data:write'], duration: '10m', reason: 'sync prices for task 42', reasoning: 'the sync job needs write access to the data API' } });
      expect(asked.isError ?? false, JSON.stringify(asked)).toBe(false);
      const id = payload(asked).id as string;

      const waiting = agent.callTool({ name: 'wait_for_decision', arguments: { id, timeoutSeconds: 30 } });
      await new Promise((r) => setTimeout(r, 500));
      const approved = await api(tokens.bob!, 'POST', `/api/v1/credentials/jit/${id}/approve`, { comment: 'ok for task 42' });
      expect(approved.status).toBe(200);
      const settled = payload(await waiting);
      expect(settled).toMatchObject({ settled: true, request: { id, status: 'ACTIVE' } });

      const revealed = payload(await agent.callTool({ name: 'reveal_credential', arguments: { id } }));
      const credential = revealed.credentials[0].password as string;
      expect(credential).toMatch(/^stint_jit_/);

      const order = (bearer: string) => fetch(`${pepUrl}/orders`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' }, body: JSON.stringify({ item: 'widgets' }) });
      expect((await order(credential)).status).toBe(201);
      // data:read is another scope: the PEP refuses what the credential was not issued for.
      expect((await fetch(`${pepUrl}/orders`, { headers: { authorization: `Bearer ${credential}` } })).status).toBe(403);
      expect(JSON.stringify(await (await fetch(`${base}/api/v1/credentials/jit/${id}`, { headers: { authorization: `Bearer ${tokens.bob}` } })).json())).not.toContain(credential);

      const released = await agent.callTool({ name: 'release_access', arguments: { id, reasoning: 'prices synced' } });
      expect(released.isError ?? false).toBe(false);
      const releasedAt = Date.now();
      let inactiveAfter = Infinity;
      while (Date.now() - releasedAt < 3_000) {
        const answer = await api(tokens['svc-pep']!, 'POST', '/api/v1/introspect', { token: credential });
        if (answer.body.active === false) {
          inactiveAfter = Date.now() - releasedAt;
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(inactiveAfter).toBeLessThanOrEqual(1_000);
      expect((await order(credential)).status).toBe(401);
      expect(stint.output()).not.toContain(credential);
    } finally {
      await agent.close();
    }
  }, 60_000);
});

describe('an agent approver over MCP', () => {
  it('approves a low-risk request, is refused on break-glass, and escalates another to a human', async () => {
    const agent = await mcp(tokens['svc-agent']!);
    const reviewer = await mcp(tokens['svc-reviewer']!);
    try {
      const first = payload(await agent.callTool({ name: 'request_access', arguments: { resources: ['integrations:write'], duration: '5m', reason: 'rotate the webhook secret', reasoning: 'scheduled rotation' } }));
      const pending = payload(await reviewer.callTool({ name: 'list_pending', arguments: {} }));
      expect(JSON.stringify(pending)).toContain(first.id);
      const approved = await reviewer.callTool({ name: 'approve_request', arguments: { id: first.id, reasoning: 'scheduled, low risk, matches the task' } });
      expect(approved.isError ?? false, JSON.stringify(approved)).toBe(false);
      expect(payload(approved).status).toMatch(/APPROVED|ACTIVE/);

      const glass = await api(tokens.alice!, 'POST', '/api/v1/credentials/jit', { scopes: ['integrations:write'], duration: '10m', reason: 'the integration is down and nobody answers', breakGlass: true });
      expect(glass.status).toBe(201);
      const refused = await reviewer.callTool({ name: 'approve_request', arguments: { id: glass.body.id, reasoning: 'fine' } });
      expect(refused.isError).toBe(true);
      expect(payload(refused).error.code).toBe('NOT_ELIGIBLE');

      const second = payload(await agent.callTool({ name: 'request_access', arguments: { resources: ['integrations:write'], duration: '5m', reason: 'delete stale integrations', reasoning: 'cleanup' } }));
      const escalated = await reviewer.callTool({ name: 'escalate_to_human', arguments: { id: second.id, reasoning: 'deletes are irreversible: a person should decide' } });
      expect(escalated.isError ?? false).toBe(false);
      expect(payload(escalated)).toMatchObject({ status: 'PENDING', humanOnly: true });
      const afterwards = await reviewer.callTool({ name: 'approve_request', arguments: { id: second.id, reasoning: 'changed my mind' } });
      expect(afterwards.isError).toBe(true);
    } finally {
      await agent.close();
      await reviewer.close();
    }
  }, 60_000);
});

describe('a guardrail tripped by the resource server', () => {
  it('revokes the agent\'s grants, suspends it so its token is refused before any JSON-RPC, until an admin unsuspends it', async () => {
    const agent = await mcp(tokens['svc-agent']!);
    const asked = payload(await agent.callTool({ name: 'request_access', arguments: { resources: ['data:write'], duration: '10m', reason: 'sync task 43', reasoning: 'needed' } }));
    await api(tokens.bob!, 'POST', `/api/v1/credentials/jit/${asked.id}/approve`, {});
    expect(payload(await agent.callTool({ name: 'wait_for_decision', arguments: { id: asked.id, timeoutSeconds: 20 } })).request.status).toBe('ACTIVE');
    await agent.close();

    const tripped = await api(tokens['svc-pep']!, 'POST', '/api/v1/guardrails/trip', { serviceAccountId: 'svc-agent', reason: 'wrote outside its task' });
    expect(tripped.status, JSON.stringify(tripped.body)).toBe(200);
    // Every grant of the account: the earlier test's agent-approved one too.
    expect(tripped.body).toMatchObject({ serviceAccountId: 'svc-agent', suspended: true, revoked: expect.arrayContaining([asked.id]) });
    expect((await api(ADMIN, 'GET', `/api/v1/credentials/jit/${asked.id}`)).body).toMatchObject({ status: 'REVOKED', revokeCause: 'guardrail' });

    const refused = await fetch(`${base}/mcp`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens['svc-agent']}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');

    expect((await api(ADMIN, 'POST', '/api/v1/service-accounts/svc-agent/unsuspend', { comment: 'rule fixed' })).status).toBe(200);
    const again = await mcp(tokens['svc-agent']!);
    expect((await again.listTools()).tools.map((t) => t.name)).toContain('request_access');
    await again.close();
  }, 60_000);
});
