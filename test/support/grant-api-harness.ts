/**
 * A real app (embedded store, HTTP server) whose `postgres` provider is the in-memory fake, for API and CLI
 * tests of verbs on ACTIVE grants (extend, credential). Logs are captured at trace level so tests can show a
 * secret never reaches them. Requests are made ACTIVE with `activate` (no background workers).
 */
import { injectCall } from './inject-call.ts';
import { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app.ts';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { issueToken } from '../../src/core/manage-tokens.ts';
import { createLogger } from '../../src/logger.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { createFakePostgresProvider, type FakePostgresProvider } from '../fakes/fake-postgres-provider.ts';
import { FixedClock } from '../fakes/fixed-clock.ts';

export const GRANT_POLICY_YAML = `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [sre], accounts: { postgres: alice } }
  - { id: bob, email: bob@example.com, groups: [sre] }
  - { id: carol, email: carol@example.com, groups: [dba] }
  - { id: erin, email: erin@example.com, groups: [security] }
  - { id: mallory, email: mallory@example.com }
admins: [group:security]
timezone: UTC
resources:
  - id: orders-db
    provider: { type: postgres, connection: "env:ORDERS_DB_ADMIN_URL", role: orders_rw, mode: ephemeral }
    maxDuration: 4h
    workflow: one-dba
  - id: reports-db
    provider: { type: postgres, connection: "env:REPORTS_DB_ADMIN_URL", role: reports_ro, mode: membership }
    maxDuration: 4h
    workflow: one-dba
workflows:
  one-dba: { eligible: [group:sre], approvers: [group:dba], required: 1 }
breakGlass: { eligible: [group:sre], maxDuration: 1h, notify: [group:security] }
`;

export interface GrantApiHarness {
  app: App;
  clock: FixedClock;
  provider: FakePostgresProvider;
  tokens: Record<string, string>;
  /** Every log line the app wrote. */
  logs: string[];
  call(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  /** Requests `scope` for alice, has carol approve it and activates it; returns its id. */
  activeGrant(scope?: string, duration?: string): Promise<string>;
  close(): Promise<void>;
}

export async function grantApiHarness(options: { env?: Record<string, string> } = {}): Promise<GrantApiHarness> {
  const clock = new FixedClock(new Date());
  const provider = createFakePostgresProvider();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const policy = parsePolicy(GRANT_POLICY_YAML, 'grant-api.yaml');
  const app = await createApp({
    env: { STINT_DATA_DIR: 'memory://', LOG_LEVEL: 'trace', ...options.env },
    overrides: { clock, policy, providers: [provider], logger: createLogger('trace', sink) },
  });
  const tokens: Record<string, string> = {};
  for (const id of ['alice', 'bob', 'carol', 'erin', 'mallory']) {
    tokens[id] = (await issueToken({ ownerId: id, issuedBy: 'test' }, { tokens: app.store, clock, policy })).token;
  }
  const call = injectCall(app, tokens);
  return {
    app,
    clock,
    provider,
    tokens,
    logs,
    call,
    async activeGrant(scope = 'orders-db', duration = '1h') {
      const created = await call('alice', 'POST', '/api/v1/credentials/jit', { reason: 'INC-9 stuck orders', scopes: [scope], duration });
      const id = created.body.id as string;
      await call('carol', 'POST', `/api/v1/credentials/jit/${id}/approve`, {});
      const { status } = await activateGrant(id, app.grants);
      if (status !== 'ACTIVE') throw new Error(`${id} did not activate: ${status}`);
      return id;
    },
    close: () => app.close(),
  };
}
