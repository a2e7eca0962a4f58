/**
 * The Slack surface: a Bolt app on our Fastify server (`POST /slack/events`, FastifyReceiver) or, when
 * SLACK_APP_TOKEN is set, on Socket Mode (Bolt's receiver; no public URL needed). SLACK_API_URL points the Web
 * API client elsewhere (tests, a proxy). Bolt's logs go to our pino logger.
 */
import { App, LogLevel, SocketModeReceiver, webApi, type Logger as BoltLogger, type Receiver } from '@slack/bolt';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AuditReader, ChatMessageStore, CorePorts, GrantPorts } from '../core/ports.ts';
import { ChannelPacer } from '../notify/channel-pacer.ts';
import { chatNotifierDeps } from '../notify/chat-notifier.ts';
import type { NotifyOutbox } from '../notify/notify-outbox.ts';
import { registerCommands } from './commands.ts';
import { FastifyReceiver } from './fastify-receiver.ts';
import { registerHome } from './home.ts';
import { SlackIdentity } from './identity.ts';
import { SlackNotifier } from './slack-notifier.ts';
import { SlackSender } from './slack-sender.ts';
import { registerInteractions } from './interactions.ts';
import { openRequestModal, registerRequestModal } from './modal.ts';

export interface SlackSettings {
  botToken: string;
  signingSecret?: string;
  appToken?: string;
  apiUrl?: string;
}

export interface SlackSurfaceDeps {
  settings: SlackSettings;
  server: FastifyInstance;
  core: CorePorts;
  grants: GrantPorts;
  audit: Pick<AuditReader, 'appendAudit'>;
  logger: Logger;
  /** Brings every posted copy of a request's card to its true state (the Slack notifier's); called after each click. */
  refreshCards?(requestId: string): Promise<void>;
  /** Where posted cards are recorded, so every copy is updated in place. */
  chatMessages: ChatMessageStore;
  /** The `notify` queue (or inline delivery) the Slack notifier sends through. */
  outbox: NotifyOutbox;
  /** Told of every 429 from Slack's Web API (metrics). */
  onRateLimited?: () => void;
}

export interface SlackSurface {
  app: App;
  identity: SlackIdentity;
  mode: 'http' | 'socket';
  /** Posts and updates request cards; the app's notifier fans out to it. */
  notifier: SlackNotifier;
  /** Refreshes every copy of a request's card to its current state (call it after a refused click too). */
  syncCards(requestId: string): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createSlackSurface(deps: SlackSurfaceDeps): SlackSurface {
  const { settings, logger } = deps;
  const socket = Boolean(settings.appToken);
  const boltLogger = adaptLogger(logger.child({ surface: 'slack' }));
  let receiver: Receiver;
  if (socket) {
    receiver = new SocketModeReceiver({ appToken: settings.appToken!, logger: boltLogger });
  } else {
    if (!settings.signingSecret) throw new Error('SLACK_SIGNING_SECRET is required for Slack over HTTP (or set SLACK_APP_TOKEN for Socket Mode)');
    receiver = new FastifyReceiver({ server: deps.server, signingSecret: settings.signingSecret, logger });
  }
  const apiOptions = settings.apiUrl ? { slackApiUrl: settings.apiUrl.endsWith('/') ? settings.apiUrl : `${settings.apiUrl}/` } : {};
  const client = new webApi.WebClient(settings.botToken, { ...apiOptions, logger: boltLogger, timeout: 10_000 });
  // Our own authorize: the bot's identity (auth.test) is asked once, on the first event, and kept — Bolt 5.1
  // with a token and tokenVerificationEnabled:false calls auth.test before every single event (measured), and
  // with true it calls it in the constructor and never recovers if Slack was unreachable then.
  let botIdentity: Promise<{ botId?: string; botUserId?: string }> | undefined;
  const authorize = async () => {
    botIdentity ??= client.auth.test().then(
      (r) => ({ botId: r.bot_id, botUserId: r.user_id }),
      (err: unknown) => {
        botIdentity = undefined;
        throw err;
      },
    );
    return { botToken: settings.botToken, ...(await botIdentity) };
  };
  const app = new App({ authorize, receiver, logger: boltLogger, clientOptions: apiOptions });
  const identity = new SlackIdentity({
    policy: deps.core.policy,
    clock: deps.core.clock,
    audit: (event) => deps.audit.appendAudit(event),
    async lookup(user) {
      const answer = await client.users.info({ user });
      const profile = answer.user?.profile;
      return answer.user ? { email: profile?.email, emailConfirmed: answer.user.is_email_confirmed ?? Boolean(profile?.email) } : null;
    },
  });
  const notifier = createSlackNotifier(deps, boltLogger);
  registerCommands(app, {
    core: deps.core,
    grants: deps.grants,
    identity,
    logger,
    openRequestModal: (triggerId) => openRequestModal(client, triggerId, deps.core.policy),
  });
  registerRequestModal(app, { core: deps.core, identity, logger });
  registerInteractions(app, { core: deps.core, grants: deps.grants, identity, logger, ...(deps.refreshCards ? { refreshCards: deps.refreshCards } : {}) });
  registerHome(app, { core: deps.core, identity, logger });
  return {
    app,
    identity,
    mode: socket ? 'socket' : 'http',
    notifier,
    syncCards: (requestId) => notifier.syncCards(requestId),
    start: async () => {
      if (socket) await app.start();
    },
    stop: async () => {
      if (socket) await app.stop();
    },
  };
}

/**
 * Outgoing cards use their own Web API client: rate-limited calls are rejected with their Retry-After (the
 * sender waits them out per channel) instead of being retried inside the SDK, and every call has a timeout.
 */
function createSlackNotifier(deps: SlackSurfaceDeps, boltLogger: BoltLogger): SlackNotifier {
  const { settings, logger } = deps;
  const client = new webApi.WebClient(settings.botToken, {
    ...(settings.apiUrl ? { slackApiUrl: settings.apiUrl.endsWith('/') ? settings.apiUrl : `${settings.apiUrl}/` } : {}),
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
    timeout: 10_000,
    logger: boltLogger,
  });
  const sender = new SlackSender({ client, pacer: new ChannelPacer(), logger: logger.child({ surface: 'slack' }), ...(deps.onRateLimited && { onRateLimited: deps.onRateLimited }) });
  return new SlackNotifier({ sender, ...chatNotifierDeps({ ...deps, logger: logger.child({ surface: 'slack' }) }) });
}

function adaptLogger(log: Logger): BoltLogger {
  let level = LogLevel.INFO;
  return {
    debug: (...msg: unknown[]) => log.debug(msg.map(String).join(' ')),
    info: (...msg: unknown[]) => log.info(msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => log.warn(msg.map(String).join(' ')),
    error: (...msg: unknown[]) => log.error(msg.map(String).join(' ')),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
