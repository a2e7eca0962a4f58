/**
 * The real app with its Slack surface against the fake Slack Web API: signed slash commands and interactivity
 * payloads go to `POST /slack/events` over Fastify's inject; what Stint sends back to Slack is in `slack.calls`
 * and `slack.responses` (response_url posts). The `postgres` resources are served by the no-op provider.
 */
import { Writable } from 'node:stream';
import { createApp, type App } from '../../src/app.ts';
import type { Provider } from '../../src/core/ports.ts';
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
  /**
   * A button click, shaped like Slack's block_actions payload: on a message in `channel` (default C0DBACCESS), or on
   * the App Home tab with `home: true` (then no channel and no response_url, as Slack sends it).
   */
  blockAction(
    userId: string,
    actionId: string,
    value: string,
    where?: { channel?: string; messageTs?: string; home?: boolean },
  ): Promise<{ status: number; body: string; json(): any; responseUrl: string | undefined; triggerId: string }>;
  /** A modal submission (view_submission) with `values` as Slack's `view.state.values` (see `plainText`, `selected`). */
  viewSubmission(userId: string, callbackId: string, values: Record<string, Record<string, unknown>>, privateMetadata?: string): Promise<{ status: number; body: string; json(): any }>;
  /** An external_select asking for options (block_suggestion) after the user typed `value`. */
  blockSuggestion(userId: string, actionId: string, value: string, blockId?: string): Promise<{ status: number; body: string; json(): any }>;
  /** An Events API event (event_callback), e.g. `{ type: 'app_home_opened', user, tab: 'home' }`. */
  event(event: Record<string, unknown>): Promise<{ status: number; body: string; json(): any }>;
  /** Every log line the app wrote (with `logLevel` set; empty otherwise). */
  logs: string[];
  close(): Promise<void>;
}

/** A `plain_text_input` value as it appears in `view.state.values`. */
export function plainText(value: string | null): Record<string, unknown> {
  return { type: 'plain_text_input', value };
}

/** A select's chosen option as it appears in `view.state.values` (null: nothing chosen). */
export function selected(value: string | null, type = 'static_select'): Record<string, unknown> {
  return { type, selected_option: value === null ? null : { text: { type: 'plain_text', text: value, emoji: true }, value } };
}

export async function slackHarness(
  options: { env?: Record<string, string>; yaml?: string; providers?: Provider[]; logLevel?: string } = {},
): Promise<SlackHarness> {
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
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = options.logLevel ? createLogger(options.logLevel, sink) : createLogger('silent');
  const app = await createApp({
    env: {
      STINT_DATA_DIR: 'memory://',
      LOG_LEVEL: 'silent',
      SLACK_BOT_TOKEN: slack.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      ...options.env,
    },
    overrides: { policy: parsePolicy(options.yaml ?? SLACK_POLICY_YAML, 'slack-test.yaml'), providers: options.providers ?? [{ ...noop, type: 'postgres' }], logger, notifier },
  });
  return {
    app,
    slack,
    noop,
    notifier,
    ...slackClient(app, slack),
    logs,
    async close() {
      await app.close();
      await slack.close();
    },
  };
}

export type SlackClient = Pick<SlackHarness, 'post' | 'command' | 'interact' | 'blockAction' | 'viewSubmission' | 'blockSuggestion' | 'event'>;

/** Correctly signed Slack requests to an app's `/slack/events` (for any app with Slack configured against `slack`). */
export function slackClient(app: App, slack: FakeSlackApi): SlackClient {
  let counter = 0;
  const post: SlackHarness['post'] = async (body, contentType, headers = {}) => {
    const signed = signSlackRequest(SIGNING_SECRET, body, Math.floor(Date.now() / 1000));
    const response = await app.server.inject({ method: 'POST', url: '/slack/events', payload: body, headers: { 'content-type': contentType, ...signed, ...headers } });
    return { status: response.statusCode, body: response.body, json: () => response.json() };
  };
  const sendPayload = (payload: Record<string, unknown>) => post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded');
  return {
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
    async blockAction(userId, actionId, value, where = {}) {
      const n = ++counter;
      const triggerId = `trig.${n}.${Date.now()}`;
      const user = { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T1' };
      const action = { type: 'button', action_id: actionId, block_id: `b${n}`, text: { type: 'plain_text', text: actionId, emoji: true }, value, action_ts: `${Date.now() / 1000}` };
      const base = { type: 'block_actions', user, api_app_id: 'A1', token: 'unused-verification-token', trigger_id: triggerId, team: { id: 'T1', domain: 'test' }, enterprise: null, is_enterprise_install: false, actions: [action] };
      if (where.home) {
        const view = { id: `VHOME${n}`, team_id: 'T1', type: 'home', blocks: [], private_metadata: '', callback_id: '', state: { values: {} }, hash: `h${n}`, app_id: 'A1', bot_id: 'BBOT' };
        const sent = await sendPayload({ ...base, container: { type: 'view', view_id: view.id }, view, state: { values: {} } });
        return { ...sent, responseUrl: undefined, triggerId };
      }
      const channel = where.channel ?? 'C0DBACCESS';
      const ts = where.messageTs ?? '1700000000.000100';
      const responseUrl = slack.responseUrl(`act${n}`);
      const sent = await sendPayload({
        ...base,
        container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false },
        channel: { id: channel, name: channel.toLowerCase() },
        message: { type: 'message', user: 'UBOT', ts, text: 'Access request', blocks: [] },
        state: { values: {} },
        response_url: responseUrl,
      });
      return { ...sent, responseUrl, triggerId };
    },
    viewSubmission(userId, callbackId, values, privateMetadata = '') {
      const n = ++counter;
      return sendPayload({
        type: 'view_submission',
        team: { id: 'T1', domain: 'test' },
        user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T1' },
        api_app_id: 'A1',
        token: 'unused-verification-token',
        trigger_id: `trig.${n}.${Date.now()}`,
        view: {
          id: `VMODAL${n}`,
          team_id: 'T1',
          type: 'modal',
          blocks: [],
          private_metadata: privateMetadata,
          callback_id: callbackId,
          state: { values },
          hash: `h${n}`,
          title: { type: 'plain_text', text: 'Stint', emoji: true },
          clear_on_close: false,
          notify_on_close: false,
          close: null,
          submit: null,
          previous_view_id: null,
          root_view_id: `VMODAL${n}`,
          app_id: 'A1',
          external_id: '',
          app_installed_team_id: 'T1',
          bot_id: 'BBOT',
        },
        response_urls: [],
        is_enterprise_install: false,
        enterprise: null,
      });
    },
    blockSuggestion(userId, actionId, value, blockId = 'resource') {
      const n = ++counter;
      return sendPayload({
        type: 'block_suggestion',
        user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T1' },
        container: { type: 'view', view_id: `VMODAL${n}` },
        api_app_id: 'A1',
        token: 'unused-verification-token',
        action_id: actionId,
        block_id: blockId,
        value,
        team: { id: 'T1', domain: 'test' },
        enterprise: null,
        is_enterprise_install: false,
        view: { id: `VMODAL${n}`, team_id: 'T1', type: 'modal', blocks: [], private_metadata: '', callback_id: 'stint_request_modal', state: { values: {} }, hash: `h${n}` },
      });
    },
    event(event) {
      const n = ++counter;
      const body = {
        token: 'unused-verification-token',
        team_id: 'T1',
        api_app_id: 'A1',
        event: { event_ts: `${Date.now() / 1000}`, ...event },
        type: 'event_callback',
        event_id: `Ev${n}${Date.now()}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ enterprise_id: null, team_id: 'T1', user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
        is_ext_shared_channel: false,
      };
      return post(JSON.stringify(body), 'application/json');
    },
  };
}
