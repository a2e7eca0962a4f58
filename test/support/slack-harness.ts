/**
 * The real app with its Slack surface against the fake Slack Web API: signed slash commands and interactivity
 * payloads go to `POST /slack/events` over Fastify's inject; what Stint sends back to Slack is in `slack.calls`
 * and `slack.responses` (response_url posts). The `postgres` resources are served by the no-op provider.
 */
import { createApp, type App } from '../../src/app.ts';
import { createLogger } from '../../src/logger.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { createNoopProvider, type NoopProvider } from '../../src/providers/noop/noop-provider.ts';
import { signSlackRequest } from '../../src/slack/verify-signature.ts';
import { RecordingNotifier } from '../fakes/recording-notifier.ts';
import { startFakeSlackApi, type FakeSlackApi } from '../fakes/slack-api.ts';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';

export const SLACK_POLICY_YAML = `version: 1
people:
  - { id: alice, email: alice@example.com, slack: U0ALICE, groups: [sre], accounts: { postgres: alice } }
  - { id: bob, email: bob@example.com, groups: [sre], accounts: { postgres: bob } }
  - { id: carol, email: carol@example.com, slack: U0CAROL, groups: [dba] }
  - { id: dave, email: dave@example.com, slack: U0DAVE, groups: [dba] }
  - { id: erin, email: erin@example.com, slack: U0ERIN, groups: [security] }
admins: [group:security]
identity: { emailDomains: [example.com] }
timezone: UTC
resources:
  - id: prod-orders-db
    provider: { type: postgres, connection: "env:ORDERS_DB_ADMIN_URL", role: orders_rw }
    maxDuration: 4h
    workflow: two-dba
  - id: dev-*
    provider: { type: postgres, connection: "env:DEV_DB_ADMIN_URL", role: dev_rw }
    maxDuration: 8h
    minDuration: 1s
    workflow: dev-auto
workflows:
  two-dba:
    eligible: [group:sre]
    approvers: [group:dba]
    required: 2
    channels: { slack: [C0DBACCESS] }
  dev-auto:
    eligible: [group:sre, group:dba]
    autoApprove:
      conditions:
        - { type: DURATION, operator: LESS_THAN, value: 2h }
breakGlass: { eligible: [group:sre], maxDuration: 1h, notify: [group:security] }
`;

export interface SlackHarness {
  app: App;
  slack: FakeSlackApi;
  noop: NoopProvider;
  notifier: RecordingNotifier;
  /** POSTs a correctly signed body (override the timestamp or signature to test refusals). */
  post(body: string, contentType: string, headers?: Record<string, string>): Promise<{ status: number; body: string; json(): any }>;
  /** A signed `/jit` slash command from a Slack user; answers with the HTTP response (the ack). */
  command(userId: string, text: string): Promise<{ status: number; body: string; json(): any; responseUrl: string }>;
  /** A signed interactivity payload (block_actions, view_submission, …). */
  interact(payload: Record<string, unknown>): Promise<{ status: number; body: string; json(): any }>;
  close(): Promise<void>;
}

export async function slackHarness(options: { env?: Record<string, string>; yaml?: string } = {}): Promise<SlackHarness> {
  const slack = await startFakeSlackApi({
    users: [
      { id: 'U0ALICE', email: 'alice@example.com' },
      { id: 'U0BOB', email: 'bob@example.com' },
      { id: 'U0CAROL', email: 'carol@example.com' },
      { id: 'U0DAVE', email: 'dave@example.com' },
      { id: 'U0ERIN', email: 'erin@example.com' },
      { id: 'U0STRANGER', email: 'stranger@elsewhere.org' },
    ],
    channels: ['C0DBACCESS', 'C0SECURITY'],
  });
  const noop = createNoopProvider();
  const notifier = new RecordingNotifier();
  const app = await createApp({
    env: {
      STINT_DATA_DIR: 'memory://',
      LOG_LEVEL: 'silent',
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      ...options.env,
    },
    overrides: { policy: parsePolicy(options.yaml ?? SLACK_POLICY_YAML, 'slack-test.yaml'), providers: [{ ...noop, type: 'postgres' }], logger: createLogger('silent'), notifier },
  });
  let counter = 0;
  const post: SlackHarness['post'] = async (body, contentType, headers = {}) => {
    const signed = signSlackRequest(SIGNING_SECRET, body, Math.floor(Date.now() / 1000));
    const response = await app.server.inject({ method: 'POST', url: '/slack/events', payload: body, headers: { 'content-type': contentType, ...signed, ...headers } });
    return { status: response.statusCode, body: response.body, json: () => response.json() };
  };
  return {
    app,
    slack,
    noop,
    notifier,
    post,
    async command(userId, text) {
      const responseUrl = slack.responseUrl(`cmd${++counter}`);
      const form = new URLSearchParams({
        token: 'unused-verification-token',
        team_id: 'T1',
        team_domain: 'test',
        channel_id: 'C0GENERAL',
        channel_name: 'general',
        user_id: userId,
        user_name: userId.toLowerCase(),
        command: '/jit',
        text,
        api_app_id: 'A1',
        response_url: responseUrl,
        trigger_id: `trig.${counter}.${Date.now()}`,
      }).toString();
      return { ...(await post(form, 'application/x-www-form-urlencoded')), responseUrl };
    },
    interact(payload) {
      return post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded');
    },
    async close() {
      await app.close();
      await slack.close();
    },
  };
}
