/**
 * The real app with its Teams surface against the fake Bot Framework (test/fakes/bot-connector.ts): activities
 * signed the way the channel signs them go to `POST /api/messages` over Fastify's inject; the bot's replies land in
 * `connector.calls`. The `postgres` resources are served by the no-op provider.
 */
import { createApp, type App } from '../../src/app.ts';
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
  close(): Promise<void>;
}

export async function teamsHarness(options: { env?: Record<string, string> } = {}): Promise<TeamsHarness> {
  const connector = await startFakeBotConnector({ appId: APP_ID, appPassword: APP_PASSWORD });
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
    overrides: { policy: parsePolicy(TEAMS_POLICY_YAML, 'teams-test.yaml'), providers: [{ ...noop, type: 'postgres' }], logger: createLogger('silent'), notifier: new RecordingNotifier() },
  });
  let counter = 0;
  return {
    app,
    connector,
    async message(aadObjectId, text, o = {}) {
      counter += 1;
      const scope = o.scope ?? 'personal';
      const conversationId = o.conversationId ?? (scope === 'personal' ? `a:1personal-${aadObjectId}` : '19:channel@thread.tacv2;messageid=1');
      const activityId = `msg-${counter}`;
      const tenantId = o.tenantId ?? TENANT_ID;
      const activity = {
        type: 'message',
        id: activityId,
        timestamp: new Date().toISOString(),
        channelId: 'msteams',
        serviceUrl: connector.url,
        from: { id: `29:user-${aadObjectId}`, name: 'Someone', aadObjectId },
        conversation: { id: conversationId, tenantId, conversationType: scope, ...(scope === 'channel' && { isGroup: true }) },
        recipient: { id: `28:${APP_ID}`, name: 'Stint' },
        text,
        textFormat: 'plain',
        channelData: { tenant: { id: tenantId }, ...(scope === 'channel' && { team: { id: '19:team@thread.tacv2' }, channel: { id: '19:channel@thread.tacv2' } }) },
      };
      const token = o.token === undefined ? connector.channelToken() : o.token;
      const response = await app.server.inject({
        method: 'POST',
        url: '/api/messages',
        payload: activity,
        headers: { 'content-type': 'application/json', ...(token !== null && { authorization: `Bearer ${token}` }) },
      });
      return { status: response.statusCode, body: response.body, activityId, conversationId };
    },
    async close() {
      await app.close();
      await connector.close();
    },
  };
}
