/**
 * The Teams surface: `POST /api/messages` on our Fastify server through botbuilder's CloudAdapter. Inbound JWTs are
 * checked by ConfigurationBotFrameworkAuthentication (TEAMS_OPENID_METADATA_URL / TEAMS_TOKEN_ISSUER point it at
 * another OpenID document: tests, sovereign clouds); every validation failure is a 401 and changes nothing. With a
 * tenant id set, activities from other tenants are refused (403) and audited. Messages carry the `/jit` verbs,
 * `adaptiveCard/action` invokes the card buttons (card-actions.ts), installs and removals keep the conversation
 * references cards are posted through (conversations.ts); the notifier (teams-notifier.ts) posts and updates cards.
 */
import { AuthenticationError } from 'botframework-connector';
import {
  ActivityTypes,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  ConfigurationServiceClientCredentialFactory,
  type Activity,
  type TurnContext,
} from 'botbuilder';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AuditReader, ChatMessageStore, CorePorts, GrantPorts, TeamsDirectoryStore } from '../core/ports.ts';
import { ChannelPacer } from '../notify/channel-pacer.ts';
import { chatNotifierDeps } from '../notify/chat-notifier.ts';
import type { NotifyOutbox } from '../notify/notify-outbox.ts';
import { answerCardAction } from './card-actions.ts';
import { ConversationBook } from './conversations.ts';
import { LoginUrlCredentialFactory } from './login-url-credentials.ts';
import { answerMessage } from './messages.ts';
import { TeamsIdentity } from './teams-identity.ts';
import { TeamsNotifier } from './teams-notifier.ts';
import { TeamsSender } from './teams-sender.ts';

export interface TeamsSettings {
  appId: string;
  appPassword: string;
  /** Single-tenant bot: only this tenant's activities are served. Unset: multi-tenant. */
  tenantId?: string;
  openIdMetadataUrl?: string;
  tokenIssuer?: string;
  /** Full URL of the client-credentials token endpoint for outbound calls (bypasses MSAL). */
  loginUrl?: string;
}

export interface TeamsSurfaceDeps {
  settings: TeamsSettings;
  server: FastifyInstance;
  core: CorePorts;
  grants: GrantPorts;
  audit: Pick<AuditReader, 'appendAudit'>;
  directory: TeamsDirectoryStore;
  chatMessages: ChatMessageStore;
  outbox: NotifyOutbox;
  logger: Logger;
  /** Told of every 429 from the Bot Connector (metrics). */
  onRateLimited?: () => void;
}

export interface TeamsSurface {
  adapter: CloudAdapter;
  notifier: TeamsNotifier;
}

/** Teams allows about 7 messages a second and 60 in 30 s per conversation: one call per 500 ms keeps under both. */
const CONVERSATION_INTERVAL_MS = 500;

const WELCOME =
  '👋 I am **Stint**: just-in-time access, approved in chat. Ask with `request <resource> <duration> <reason…>` ' +
  '(e.g. `request prod-orders-db 2h INC-1234 stuck orders`); approvers get a card here with Approve / Deny. Say `help` for every command.';

type AuthenticateRequest = ConfigurationBotFrameworkAuthentication['authenticateRequest'];

/**
 * A token signed by another key under a known `kid` makes the JWT library throw a plain Error, which CloudAdapter
 * would answer with 500 (FACTS.md): any failure to authenticate is an AuthenticationError here.
 */
class StrictAuthentication extends ConfigurationBotFrameworkAuthentication {
  override async authenticateRequest(...args: Parameters<AuthenticateRequest>): ReturnType<AuthenticateRequest> {
    try {
      return await super.authenticateRequest(...args);
    } catch (err) {
      if (err instanceof AuthenticationError) throw err;
      throw new AuthenticationError(err instanceof Error ? err.message : String(err), 401);
    }
  }
}

/** CloudAdapter.process answers 500 for our refusals; its protected processActivity lets us choose the status. */
class StintAdapter extends CloudAdapter {
  handle(...args: [authHeader: string, activity: Activity, logic: (context: TurnContext) => Promise<void>]) {
    return this.processActivity(...args);
  }
}

export function createTeamsSurface(deps: TeamsSurfaceDeps): TeamsSurface {
  const s = deps.settings;
  const appType = s.tenantId ? 'SingleTenant' : 'MultiTenant';
  const credentials = s.loginUrl
    ? new LoginUrlCredentialFactory(s.appId, s.appPassword, s.loginUrl)
    : new ConfigurationServiceClientCredentialFactory({ MicrosoftAppId: s.appId, MicrosoftAppPassword: s.appPassword, MicrosoftAppType: appType, MicrosoftAppTenantId: s.tenantId });
  const auth = new StrictAuthentication(
    {
      MicrosoftAppId: s.appId,
      MicrosoftAppTenantId: s.tenantId,
      ...(s.openIdMetadataUrl && { ToBotFromChannelOpenIdMetadataUrl: s.openIdMetadataUrl }),
      ...(s.tokenIssuer && { ToBotFromChannelTokenIssuer: s.tokenIssuer }),
    },
    credentials,
  );
  const adapter = new StintAdapter(auth);
  adapter.onTurnError = async (_context, err) => {
    deps.logger.error({ err }, 'Teams turn failed');
  };

  const logger = deps.logger.child({ surface: 'teams' });
  const identity = new TeamsIdentity({ policy: deps.core.policy, clock: deps.core.clock, audit: (e) => deps.audit.appendAudit(e), directory: deps.directory, logger });
  const book = new ConversationBook({ directory: deps.directory, logger });
  const sender = new TeamsSender({ adapter, appId: s.appId, pacer: new ChannelPacer({ intervalMs: CONVERSATION_INTERVAL_MS }), logger, ...(deps.onRateLimited && { onRateLimited: deps.onRateLimited }) });
  const notifier = new TeamsNotifier({ sender, directory: deps.directory, signIn: Boolean(deps.core.mfa?.reLogin), ...chatNotifierDeps({ ...deps, logger }) });
  const actionDeps = { core: deps.core, grants: deps.grants, identity, directory: deps.directory, chatMessages: deps.chatMessages, logger };

  const onTurn = async (context: TurnContext): Promise<void> => {
    const activity = context.activity;
    switch (activity.type) {
      case ActivityTypes.Invoke: {
        if (activity.name !== 'adaptiveCard/action') return;
        const body = await answerCardAction(context, actionDeps);
        await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body } });
        return;
      }
      case ActivityTypes.Message: {
        if (typeof activity.text !== 'string') return;
        await book.remember(activity);
        const text = await answerMessage(activity.text, () => identity.personOf(context), activity.from?.aadObjectId, deps);
        await context.sendActivity({ type: ActivityTypes.Message, text, textFormat: 'markdown' });
        return;
      }
      case ActivityTypes.ConversationUpdate: {
        const botId = activity.recipient?.id;
        if (activity.membersRemoved?.some((m) => m.id === botId)) return book.forget(activity);
        if (activity.membersAdded?.some((m) => m.id === botId)) return installed(context);
        return;
      }
      case ActivityTypes.InstallationUpdate: {
        const action = String(activity.action ?? '');
        if (action.startsWith('remove')) return book.forget(activity);
        if (action.startsWith('add')) return installed(context);
        return;
      }
    }
  };

  /** Added to a team, a group chat or a person's apps: remember where, learn the team's channels, say hello 1:1. */
  const installed = async (context: TurnContext): Promise<void> => {
    const record = await book.remember(context.activity);
    if (!record) return;
    logger.info({ kind: record.kind, conversationId: record.conversationId, teamId: record.teamId }, 'Stint was added to a Teams conversation');
    if (record.teamId) await book.rememberTeamChannels(context, record);
    if (record.kind === 'personal') {
      await identity.personOf(context);
      await context.sendActivity({ type: ActivityTypes.Message, text: WELCOME, textFormat: 'markdown' });
    }
  };

  deps.server.post('/api/messages', async (req, reply) => {
    const activity = req.body as Partial<Activity> | undefined;
    if (!activity || typeof activity !== 'object' || typeof activity.type !== 'string') {
      return reply.code(400).send({ error: { code: 'INVALID_BODY', message: 'Expected a Bot Framework activity' } });
    }
    let refusedTenant: string | undefined;
    try {
      const invoke = await adapter.handle(req.headers.authorization ?? '', activity as Activity, async (context) => {
        const tenant = tenantOf(context.activity);
        // Only reached with a valid token: a stranger cannot fill the audit log with refusals.
        if (s.tenantId && tenant !== s.tenantId) {
          refusedTenant = tenant ?? '';
          return;
        }
        await onTurn(context);
      });
      if (refusedTenant !== undefined) {
        await deps.audit.appendAudit({
          actor: 'teams',
          action: 'teams.tenant_refused',
          data: { tenantId: refusedTenant, aadObjectId: activity.from?.aadObjectId, conversationId: activity.conversation?.id },
          at: deps.core.clock.now(),
        });
        return reply.code(403).send({ error: { code: 'FORBIDDEN', message: 'This bot serves one Microsoft Entra tenant only' } });
      }
      return reply.code(invoke?.status ?? 200).send(invoke?.body ?? '');
    } catch (err) {
      if (err instanceof AuthenticationError) return reply.code(401).send({ error: { code: 'UNAUTHENTICATED', message: 'Bot Framework token refused' } });
      deps.logger.error({ err }, 'Teams activity failed');
      return reply.code(500).send({ error: { code: 'INTERNAL', message: 'Something went wrong on our side' } });
    }
  });
  return { adapter, notifier };
}

function tenantOf(activity: Activity): string | undefined {
  const channelData = activity.channelData as { tenant?: { id?: string } } | undefined;
  return channelData?.tenant?.id ?? activity.conversation?.tenantId;
}
