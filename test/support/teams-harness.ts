/**
 * The real app with its Teams surface against the fake Bot Framework (test/fakes/bot-connector.ts): activities
 * signed the way the channel signs them go to `POST /api/messages` over Fastify's inject; the bot's replies, posts
 * and updates land in `connector.calls`. The `postgres` resources are served by the no-op provider unless a test
 * brings its own. Users are `29:user-<aad>` in Teams; the connector knows each as a member with their email.
 */
import { createApp, type App } from '../../src/app.ts';
import type { Provider } from '../../src/core/ports.ts';
import { createLogger } from '../../src/logger.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { createNoopProvider } from '../../src/providers/noop/noop-provider.ts';
import { startFakeBotConnector, type FakeBotConnector } from '../fakes/bot-connector.ts';
import { RecordingNotifier } from '../fakes/recording-notifier.ts';

export const APP_ID = '00000000-0000-4000-8000-00000000b07a';
export const APP_PASSWORD = 'test-teams-app-password';
export const TENANT_ID = '11111111-1111-4111-8111-111111111111';
export const ALICE_AAD = 'aaaaaaaa-0000-4000-8000-00000000a11c';
export const CAROL_AAD = 'cccccccc-0000-4000-8000-0000000ca201';
export const DAVE_AAD = 'dddddddd-0000-4000-8000-00000000da7e';
/** A team's id is its General channel's id. */
export const TEAM_ID = '19:general-team@thread.tacv2';
export const TEAM_CHANNEL = '19:db-access@thread.tacv2';

/** The Teams user id (MRI) the harness gives an AAD object id. */
export const mri = (aadObjectId: string) => `29:user-${aadObjectId}`;

export const TEAMS_POLICY_YAML = `version: 1
people:
  - { id: alice, email: alice@example.com, teams: ${ALICE_AAD}, groups: [sre], accounts: { postgres: alice } }
  - { id: carol, email: carol@example.com, teams: ${CAROL_AAD}, groups: [dba] }
  - { id: dave, email: dave@example.com, groups: [dba] }
  - { id: erin, email: erin@example.com, groups: [security] }
admins: [group:security]
timezone: UTC
resources:
  - id: prod-orders-db
    provider: { type: postgres, connection: "env:ORDERS_DB_ADMIN_URL", role: orders_rw }
    maxDuration: 4h
    workflow: two-dba
workflows:
  two-dba:
    eligible: [group:sre]
    approvers: [group:dba]
    required: 2
`;

export interface TeamsHarness {
  app: App;
  connector: FakeBotConnector;
  /** A message activity from a Teams user; `token: null` sends none, a string sends that bearer token. */
  message(
    aadObjectId: string,
    text: string,
    options?: { token?: string | null; tenantId?: string; conversationId?: string; scope?: 'personal' | 'channel' },
  ): Promise<{ status: number; body: string; activityId: string; conversationId: string }>;
  /** Stint added to this user's personal apps (scope personal) or, by this user, to the team TEAM_ID. */
  install(aadObjectId: string, scope: 'personal' | 'team'): Promise<{ status: number; body: string }>;
  /** Stint removed from the team TEAM_ID. */
  uninstallTeam(aadObjectId: string): Promise<{ status: number; body: string }>;
  /**
   * An `adaptiveCard/action` invoke from this user, clicked on the card `activityId` in `conversationId` (default: the
   * user's personal chat). `json` is the invoke response body.
   */
  invoke(
    aadObjectId: string,
    verb: string,
    data: Record<string, unknown>,
    options?: { conversationId?: string; activityId?: string; token?: string | null; trigger?: 'manual' | 'automatic' },
  ): Promise<{ status: number; body: string; json(): any }>;
  close(): Promise<void>;
}

export const personalChat = (aadObjectId: string) => `a:1personal-${aadObjectId}`;

export async function teamsHarness(options: { env?: Record<string, string>; yaml?: string; providers?: Provider[] } = {}): Promise<TeamsHarness> {
  const connector = await startFakeBotConnector({ appId: APP_ID, appPassword: APP_PASSWORD });
  for (const [aad, email] of [[ALICE_AAD, 'alice@example.com'], [CAROL_AAD, 'carol@example.com'], [DAVE_AAD, 'dave@example.com']] as const) {
    connector.members.set(mri(aad), { id: mri(aad), name: email.split('@')[0]!, aadObjectId: aad, email, userPrincipalName: email });
  }
  connector.teamChannels.set(TEAM_ID, [{ id: TEAM_ID }, { id: TEAM_CHANNEL, name: 'db-access' }]);
  const noop = createNoopProvider();
  const app = await createApp({
    env: {
      STINT_DATA_DIR: 'memory://',
      LOG_LEVEL: 'silent',
      TEAMS_APP_ID: APP_ID,
      TEAMS_APP_PASSWORD: APP_PASSWORD,
      TEAMS_TENANT_ID: TENANT_ID,
      TEAMS_OPENID_METADATA_URL: connector.openIdMetadataUrl,
      TEAMS_TOKEN_ISSUER: connector.issuer,
      TEAMS_LOGIN_URL: connector.loginUrl,
      ...options.env,
    },
    overrides: {
      policy: parsePolicy(options.yaml ?? TEAMS_POLICY_YAML, 'teams-test.yaml'),
      providers: options.providers ?? [{ ...noop, type: 'postgres' }],
      logger: createLogger('silent'),
      notifier: new RecordingNotifier(),
    },
  });
  let counter = 0;
  const bot = { id: `28:${APP_ID}`, name: 'Stint' };
  const user = (aadObjectId: string) => ({ id: mri(aadObjectId), name: 'Someone', aadObjectId });
  const send = async (activity: Record<string, unknown>, token: string | null | undefined) => {
    const bearer = token === undefined ? connector.channelToken() : token;
    const response = await app.server.inject({
      method: 'POST',
      url: '/api/messages',
      payload: { channelId: 'msteams', serviceUrl: connector.url, timestamp: new Date().toISOString(), recipient: bot, ...activity },
      headers: { 'content-type': 'application/json', ...(bearer !== null && { authorization: `Bearer ${bearer}` }) },
    });
    return { status: response.statusCode, body: response.body, json: () => response.json() };
  };
  const teamActivity = (aadObjectId: string, extra: Record<string, unknown>) => ({
    id: `upd-${++counter}`,
    from: user(aadObjectId),
    conversation: { id: TEAM_ID, tenantId: TENANT_ID, conversationType: 'channel', isGroup: true },
    channelData: { tenant: { id: TENANT_ID }, team: { id: TEAM_ID, name: 'Platform' }, ...extra },
  });
  return {
    app,
    connector,
    async message(aadObjectId, text, o = {}) {
      counter += 1;
      const scope = o.scope ?? 'personal';
      const conversationId = o.conversationId ?? (scope === 'personal' ? personalChat(aadObjectId) : `${TEAM_CHANNEL};messageid=1`);
      const activityId = `msg-${counter}`;
      const tenantId = o.tenantId ?? TENANT_ID;
      const sent = await send(
        {
          type: 'message',
          id: activityId,
          from: user(aadObjectId),
          conversation: { id: conversationId, tenantId, conversationType: scope, ...(scope === 'channel' && { isGroup: true }) },
          text,
          textFormat: 'plain',
          channelData: { tenant: { id: tenantId }, ...(scope === 'channel' && { team: { id: TEAM_ID }, channel: { id: TEAM_CHANNEL } }) },
        },
        o.token,
      );
      return { status: sent.status, body: sent.body, activityId, conversationId };
    },
    install(aadObjectId, scope) {
      if (scope === 'team') return send({ type: 'conversationUpdate', membersAdded: [bot], ...teamActivity(aadObjectId, { eventType: 'teamMemberAdded' }) }, undefined);
      return send(
        {
          type: 'conversationUpdate',
          id: `upd-${++counter}`,
          from: user(aadObjectId),
          membersAdded: [bot],
          conversation: { id: personalChat(aadObjectId), tenantId: TENANT_ID, conversationType: 'personal' },
          channelData: { tenant: { id: TENANT_ID } },
        },
        undefined,
      );
    },
    uninstallTeam(aadObjectId) {
      return send({ type: 'conversationUpdate', membersRemoved: [bot], ...teamActivity(aadObjectId, { eventType: 'teamMemberRemoved' }) }, undefined);
    },
    invoke(aadObjectId, verb, data, o = {}) {
      const conversationId = o.conversationId ?? personalChat(aadObjectId);
      const channel = conversationId.startsWith('19:');
      return send(
        {
          type: 'invoke',
          name: 'adaptiveCard/action',
          id: `inv-${++counter}`,
          replyToId: o.activityId ?? 'unknown',
          from: user(aadObjectId),
          conversation: { id: conversationId, tenantId: TENANT_ID, conversationType: channel ? 'channel' : 'personal', ...(channel && { isGroup: true }) },
          channelData: { tenant: { id: TENANT_ID }, ...(channel && { team: { id: TEAM_ID }, channel: { id: conversationId.split(';')[0] } }) },
          value: { action: { type: 'Action.Execute', verb, data }, trigger: o.trigger ?? 'manual' },
        },
        o.token,
      );
    },
    async close() {
      await app.close();
      await connector.close();
    },
  };
}
