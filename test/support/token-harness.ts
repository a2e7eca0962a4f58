/**
 * A real app for the `token` provider and introspection (issue 10): token scopes `data:write` and `data:read`
 * approved by carol, a person (alice) and an agent (svc-agent, owned by alice) who request them, and a resource
 * server (svc-orders-api) whose token has only the `introspect` scope. On a private PostgreSQL database unless
 * `pglite` is asked for. Requests are made ACTIVE with `activate` (no background workers); logs are captured at
 * trace level so tests can show a credential never reaches them.
 */
import { injectCall } from './inject-call.ts';
import { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app.ts';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { issueToken } from '../../src/core/manage-tokens.ts';
import { createLogger } from '../../src/logger.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import type { Policy } from '../../src/policy/model.ts';
import { FixedClock } from '../fakes/fixed-clock.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

export const TOKEN_POLICY_YAML = `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [sre] }
  - { id: carol, email: carol@example.com, groups: [dba] }
  - { id: erin, email: erin@example.com, groups: [security] }
  - { id: mallory, email: mallory@example.com }
admins: [group:security]
timezone: UTC
resources:
  - { id: "data:write", provider: { type: token }, maxDuration: 2h, workflow: agents }
  - { id: "data:read", provider: { type: token }, maxDuration: 2h, workflow: agents }
workflows:
  agents: { eligible: [group:sre], approvers: [group:dba], required: 1 }
serviceAccounts:
  - { id: svc-agent, owner: alice, maxJitDuration: 1h, resources: ["data:*"], onGuardrail: suspend }
  - { id: svc-orders-api, owner: carol, maxJitDuration: 15m, resources: ["data:read"], onGuardrail: revoke }
`;

export interface TokenHarness {
  app: App;
  clock: FixedClock;
  policy: Policy;
  /** stint_live_ tokens: alice, carol, erin, mallory, svc-agent (request) and rs (svc-orders-api, introspect only). */
  tokens: Record<string, string>;
  logs: string[];
  call(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  /** Requests `scopes` as `who`, has carol approve and activates it; returns the request id. */
  activeRequest(who: string, scopes: string[], duration?: string): Promise<string>;
  /** Reveals the request's credential as `who` (the requester); returns the raw stint_jit_ value. */
  reveal(who: string, requestId: string): Promise<string>;
  /** Asks the introspection endpoint as the resource server (JSON body). */
  introspect(token: string, scope?: string): Promise<any>;
  close(): Promise<void>;
}

export async function tokenHarness(options: { pglite?: boolean; database?: TestDatabase } = {}): Promise<TokenHarness> {
  const clock = new FixedClock(new Date());
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const policy = parsePolicy(TOKEN_POLICY_YAML, 'token-policy.yaml');
  const database = options.pglite ? undefined : (options.database ?? (await createTestDatabase()));
  const app = await createApp({
    env: { ...(database ? { DATABASE_URL: database.url } : { STINT_DATA_DIR: 'memory://' }), LOG_LEVEL: 'trace', PORT: '0', HOST: '127.0.0.1' },
    overrides: { clock, policy, logger: createLogger('trace', sink) },
  }).catch(async (err: unknown) => {
    await database?.drop();
    throw err;
  });
  const tokens: Record<string, string> = {};
  const issue = async (name: string, ownerId: string, scopes?: string[]) => {
    tokens[name] = (await issueToken({ ownerId, issuedBy: 'test', scopes }, { tokens: app.store, clock, policy })).token;
  };
  for (const id of ['alice', 'carol', 'erin', 'mallory', 'svc-agent']) await issue(id, id);
  await issue('rs', 'svc-orders-api', ['introspect']);

  const call = injectCall(app, tokens);
  return {
    app,
    clock,
    policy,
    tokens,
    logs,
    call,
    async activeRequest(who, scopes, duration = '30m') {
      const created = await call(who, 'POST', '/api/v1/credentials/jit', { reason: 'INC-7 reprice the catalogue', scopes, duration });
      if (created.status !== 201) throw new Error(`request failed: ${JSON.stringify(created.body)}`);
      const id = created.body.id as string;
      const approved = await call('carol', 'POST', `/api/v1/credentials/jit/${id}/approve`, {});
      if (approved.status !== 200) throw new Error(`approve failed: ${JSON.stringify(approved.body)}`);
      const { status } = await activateGrant(id, app.grants);
      if (status !== 'ACTIVE') throw new Error(`${id} did not activate: ${status}`);
      return id;
    },
    async reveal(who, requestId) {
      const revealed = await call(who, 'POST', `/api/v1/credentials/jit/${requestId}/credential`, {});
      if (revealed.status !== 200) throw new Error(`reveal failed: ${JSON.stringify(revealed.body)}`);
      return revealed.body.credentials[0].password as string;
    },
    async introspect(token, scope) {
      const answer = await call('rs', 'POST', '/api/v1/introspect', { token, ...(scope ? { scope } : {}) });
      if (answer.status !== 200) throw new Error(`introspect failed: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    },
    async close() {
      await app.close();
      await database?.drop();
    },
  };
}
