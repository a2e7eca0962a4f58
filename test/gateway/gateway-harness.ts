/**
 * A real app (embedded store, fixed clock) with its SSH gateway on a free port, a fake launchable provider whose
 * authorizeLaunch points at a fake upstream ssh2 server, and tokens per person. Requests are made, approved and
 * activated through the real REST routes and use cases.
 */
import ssh2 from 'ssh2';
import { createApp, type App } from '../../src/app.ts';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { issueToken } from '../../src/core/manage-tokens.ts';
import type { GrantHandleData, Provider } from '../../src/core/ports.ts';
import type { Gateway } from '../../src/gateway/gateway-server.ts';
import type { LoginThrottleOptions } from '../../src/gateway/login-throttle.ts';
import { generateSshKeyPair } from '../../src/gateway/ssh-keys.ts';
import { createLogger } from '../../src/logger.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { FixedClock } from '../fakes/fixed-clock.ts';
import { RecordingNotifier } from '../fakes/recording-notifier.ts';
import { injectCall, type InjectCall } from '../support/inject-call.ts';
import { startFakeUpstream, type FakeUpstream } from './fake-upstream.ts';

export const GATEWAY_POLICY = `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [sre] }
  - { id: bob, email: bob@example.com, groups: [sre] }
  - { id: erin, email: erin@example.com, groups: [security] }
  - { id: mallory, email: mallory@example.com, groups: [sre] }
  - { id: zoe, email: zoe@example.com }
admins: [group:security]
timezone: UTC
resources:
  - { id: web-1, provider: { type: fakessh, jit: { create_ephemeral: true } }, maxDuration: 2h, workflow: sre }
  - { id: web-badkey, provider: { type: fakessh, jit: { create_ephemeral: true }, wrongHostKey: true }, maxDuration: 2h, workflow: sre }
  - { id: web-byhost, provider: { type: fakessh, jit: { create_ephemeral: true }, allowUserHost: true }, maxDuration: 2h, workflow: sre }
  - { id: web-short, provider: { type: fakessh, jit: { create_ephemeral: true } }, maxDuration: 30m, workflow: sre }
  - { id: web-domain, provider: { type: fakessh, jit: { create_ephemeral: true, ephemeral_account_type: domain } }, maxDuration: 2h, workflow: sre }
  - { id: web-elevate, provider: { type: fakessh, jit: { elevate: true } }, maxDuration: 2h, workflow: sre }
  - { id: db-1, provider: { type: token }, maxDuration: 1h, workflow: sre }
workflows:
  sre: { eligible: [group:sre], approvers: [group:sre], required: 1 }
`;

export interface FakeLaunchProvider extends Provider {
  revoked: string[];
}

/** `fakessh`: grants an account (no credential), authorizes the session key on the fake upstream, revoke kills its sessions. */
export function fakeLaunchProvider(upstream: FakeUpstream): FakeLaunchProvider {
  const present = new Set<string>();
  const revoked: string[] = [];
  const wrongKey = ssh2.utils.parseKey(generateSshKeyPair().public) as ssh2.ParsedKey;
  return {
    type: 'fakessh',
    revoked,
    validate: () => undefined,
    describe: () => 'ephemeral local account on a fake host',
    async grant(_config, target) {
      const username = `stint_${target.requestId.slice(-8).toLowerCase()}`;
      present.add(username);
      return { username, launch: target.launch === true };
    },
    extend: async (_c, handle) => handle,
    async revoke(_config, handle: GrantHandleData) {
      const username = String(handle.username);
      present.delete(username);
      revoked.push(username);
      upstream.kill(username);
    },
    check: async (_c, handle) => (present.has(String(handle.username)) ? 'present' : 'absent'),
    async authorizeLaunch(config, handle, publicKey) {
      upstream.allow(String(handle.username), publicKey);
      return {
        host: '127.0.0.1',
        port: upstream.port,
        username: String(handle.username),
        hostKeys: [config.wrongHostKey ? wrongKey.getPublicSSH().toString('base64') : upstream.hostKey],
      };
    },
  };
}

export interface GatewayHarness {
  app: App;
  gateway: Gateway;
  upstream: FakeUpstream;
  provider: FakeLaunchProvider;
  clock: FixedClock;
  tokens: Record<string, string>;
  call: InjectCall;
  /** Private keys the gateway generated for sessions (observed through its key-pair hook). */
  sessionKeys: string[];
  /** Creates a launch request as `who`, approves it as `approver`, activates it; returns its id. */
  activeLaunch(who?: string, resource?: string, approver?: string): Promise<string>;
  close(): Promise<void>;
}

export async function gatewayHarness(options: { watchIntervalMs?: number; loginThrottle?: LoginThrottleOptions } = {}): Promise<GatewayHarness> {
  const upstream = await startFakeUpstream();
  const provider = fakeLaunchProvider(upstream);
  const clock = new FixedClock(new Date());
  const sessionKeys: string[] = [];
  const policy = parsePolicy(GATEWAY_POLICY, 'gateway-test.yaml');
  const app = await createApp({
    env: { STINT_DATA_DIR: 'memory://', LOG_LEVEL: 'silent', STINT_SSH_PORT: '0', PORT: '0' },
    overrides: {
      clock,
      notifier: new RecordingNotifier(),
      policy,
      providers: [provider],
      logger: createLogger('silent'),
      gateway: {
        watchIntervalMs: options.watchIntervalMs ?? 100,
        loginThrottle: options.loginThrottle,
        generateKeyPair: () => {
          const pair = generateSshKeyPair();
          sessionKeys.push(pair.private);
          return pair;
        },
      },
    },
  });
  const gateway = (await app.startGateway())!;
  const tokens: Record<string, string> = {};
  for (const id of ['alice', 'bob', 'erin', 'mallory', 'zoe']) {
    tokens[id] = (await issueToken({ ownerId: id, issuedBy: 'test', scopes: id === 'erin' ? ['request', 'approve', 'audit:read'] : undefined }, { tokens: app.store, clock, policy })).token;
  }
  const call = injectCall(app, tokens);
  return {
    app,
    gateway,
    upstream,
    provider,
    clock,
    tokens,
    call,
    sessionKeys,
    async activeLaunch(who = 'alice', resource = 'web-1', approver = 'bob') {
      const created = await call(who, 'POST', '/api/v1/credentials/jit', { scopes: [resource], duration: '30m', reason: 'deploy fix', launch: true });
      if (created.status !== 201) throw new Error(`create: ${JSON.stringify(created.body)}`);
      const approved = await call(approver, 'POST', `/api/v1/credentials/jit/${created.body.id}/approve`, {});
      if (approved.status !== 200) throw new Error(`approve: ${JSON.stringify(approved.body)}`);
      const activated = await activateGrant(created.body.id, app.grants);
      if (activated.status !== 'ACTIVE') throw new Error(`activate: ${activated.status} ${activated.request?.statusReason}`);
      return created.body.id as string;
    },
    async close() {
      await app.close();
      await upstream.close();
    },
  };
}
