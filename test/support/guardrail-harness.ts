/**
 * A real app on a private PostgreSQL database with two service accounts (one suspended by a guardrail, one only
 * revoked), the in-memory postgres provider, a recording notifier, and tokens: people (erin is the admin), the
 * agents, `orders-api`, a resource server's token (bob with the `introspect` scope), and `root` (erin with the `admin` scope).
 */
import { injectCall } from './inject-call.ts';
import { createApp, type App } from '../../src/app.ts';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { issueToken } from '../../src/core/manage-tokens.ts';
import { createLogger } from '../../src/logger.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import type { Policy } from '../../src/policy/model.ts';
import { createFakePostgresProvider, type FakePostgresProvider } from '../fakes/fake-postgres-provider.ts';
import { FixedClock } from '../fakes/fixed-clock.ts';
import { RecordingNotifier } from '../fakes/recording-notifier.ts';

export const GUARDRAIL_POLICY_YAML = `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [sre] }
  - { id: bob, email: bob@example.com, groups: [sre] }
  - { id: carol, email: carol@example.com, groups: [dba] }
  - { id: erin, email: erin@example.com, groups: [security] }
admins: [group:security]
timezone: UTC
resources:
  - { id: orders-db, provider: { type: postgres, connection: "env:X", role: orders_rw }, maxDuration: 4h, workflow: one-dba }
  - { id: reports-db, provider: { type: postgres, connection: "env:X", role: reports_ro }, maxDuration: 4h, workflow: one-dba }
workflows:
  one-dba: { eligible: [group:sre], approvers: [group:dba], required: 1 }
serviceAccounts:
  - { id: svc-bot, owner: alice, maxJitDuration: 30m, resources: [orders-db, reports-db], onGuardrail: suspend }
  - { id: svc-lite, owner: bob, maxJitDuration: 30m, resources: [orders-db], onGuardrail: revoke }
guardrails:
  - { id: outside-task, when: 'introspection.scope != "" && !(introspection.scope in credential.scopes)', serviceAccounts: [svc-bot] }
  - { id: broken-rule, when: 'int(request.reason) > 1', serviceAccounts: ["svc-l*"] }
`;

export interface GuardrailHarness {
  app: App;
  clock: FixedClock;
  policy: Policy;
  provider: FakePostgresProvider;
  notifier: RecordingNotifier;
  tokens: Record<string, string>;
  call(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** A request by `account` for `scope`, approved by carol; activated unless `pending` or `approved` is asked. */
  grantFor(account: string, scope: string, state?: 'ACTIVE' | 'APPROVED' | 'PENDING'): Promise<string>;
  close(): Promise<void>;
}

export async function guardrailHarness(databaseUrl: string, env: Record<string, string> = {}): Promise<GuardrailHarness> {
  const clock = new FixedClock(new Date('2026-12-02T10:00:00Z'));
  const provider = createFakePostgresProvider();
  const notifier = new RecordingNotifier();
  const policy = parsePolicy(GUARDRAIL_POLICY_YAML, 'guardrails.yaml');
  const app = await createApp({
    env: { DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', ...env },
    overrides: { clock, policy, notifier, providers: [provider], logger: createLogger('silent') },
  });
  const tokens: Record<string, string> = {};
  const issue = async (name: string, ownerId: string, scopes?: string[]) => {
    tokens[name] = (await issueToken({ ownerId, issuedBy: 'test', scopes }, { tokens: app.store, clock, policy })).token;
  };
  for (const id of ['alice', 'bob', 'carol', 'svc-bot', 'svc-lite']) await issue(id, id);
  await issue('erin', 'erin', ['request', 'approve', 'audit:read']);
  await issue('orders-api', 'bob', ['introspect']);
  await issue('root', 'erin', ['admin']);
  const call = injectCall(app, tokens, { rawBearer: true });
  return {
    app,
    clock,
    policy,
    provider,
    notifier,
    tokens,
    call,
    async grantFor(account, scope, state = 'ACTIVE') {
      const created = await call(account, 'POST', '/api/v1/credentials/jit', { reason: 'INC-7 nightly price run', scopes: [scope], duration: '20m' });
      if (created.status !== 201) throw new Error(`request by ${account}: ${created.status} ${JSON.stringify(created.body)}`);
      const id = created.body.id as string;
      if (state === 'PENDING') return id;
      await call('carol', 'POST', `/api/v1/credentials/jit/${id}/approve`, {});
      if (state === 'APPROVED') return id;
      const { status } = await activateGrant(id, app.grants);
      if (status !== 'ACTIVE') throw new Error(`${id} did not activate: ${status}`);
      return id;
    },
    close: () => app.close(),
  };
}
