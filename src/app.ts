/**
 * The one composition root: reads config, opens the store, loads the policy, builds the notifier and the
 * HTTP server, and wires them into the adapters. `createApp({ env, overrides })` lets tests swap any port
 * instead of mocking modules.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerAdminRoutes } from './api/admin-routes.ts';
import { registerAuditRoutes } from './api/audit-routes.ts';
import { registerIntrospectRoutes } from './api/introspect-routes.ts';
import { registerGuardrailRoutes } from './api/guardrail-routes.ts';
import { registerGatewayRoutes } from './api/gateway-routes.ts';
import type { GatewayDeps } from './gateway/gateway-deps.ts';
import { startGateway, type Gateway } from './gateway/gateway-server.ts';
import { loadHostKey, type HostKey } from './gateway/host-key.ts';
import { registerMfaRoutes } from './api/mfa-routes.ts';
import { registerOidcRoutes } from './api/oidc-routes.ts';
import { checkGuardrails } from './core/check-guardrails.ts';
import { loadSigningKey } from './audit/anchors.ts';
import { bearerToken, createHttpServer } from './api/http-server.ts';
import { openApiDocument } from './api/openapi.ts';
import { registerRequestRoutes } from './api/request-routes.ts';
import { registerWaitRoute } from './api/wait-routes.ts';
import { registerMcpRoute } from './mcp/mcp-route.ts';
import { MCP_TOOLS } from './mcp/tools.ts';
import { loadConfig, type Config } from './config.ts';
import { applyPolicy } from './core/apply-policy.ts';
import type { IntrospectionPorts } from './core/introspect-credential.ts';
import { IntrospectionCache } from './core/introspection-cache.ts';
import { authenticateToken, hashToken } from './core/manage-tokens.ts';
import type { Clock, CorePorts, DigestSender, GrantPorts, GuardrailCheck, Notifier, Provider } from './core/ports.ts';
import { StintError } from './domain/errors.ts';
import { Redis } from 'ioredis';
import { BullmqScheduler, SwitchableScheduler } from './jobs/bullmq-scheduler.ts';
import { instrumentProvider, MetricsNotifier } from './jobs/instrument.ts';
import { createJobMetrics, type JobMetrics } from './jobs/metrics.ts';
import { NotifyQueue } from './jobs/notify-queue.ts';
import { closeQueues, createQueues, type StintQueues } from './jobs/queues.ts';
import { startReconciler, type Reconciler } from './jobs/reconciler.ts';
import { findRedis, type RedisEndpoint } from './jobs/redis.ts';
import { startWorkers, type Workers } from './jobs/workers.ts';
import { createLogger } from './logger.ts';
import { createSlackSurface, type SlackSurface } from './slack/slack-app.ts';
import { createTeamsSurface, type TeamsSurface } from './teams/teams-app.ts';
import { FanOutNotifier } from './notify/fan-out-notifier.ts';
import { LogNotifier } from './notify/log-notifier.ts';
import { createPagers, type Pagers } from './oncall/index.ts';
import { loadPolicyFile, watchPolicy } from './policy/index.ts';
import type { Policy } from './policy/model.ts';
import { PolicyHolder } from './policy/policy-holder.ts';
import { defaultProviders } from './providers/default-providers.ts';
import { createProviderRegistry, type ProviderRegistry } from './providers/registry.ts';
import { createTokenProvider } from './providers/token/token-provider.ts';
import { openStore, type Store } from './store/open-store.ts';
import { createTicketSystems } from './tickets/index.ts';
import { createSecretBox } from './core/secret-box.ts';

export interface AppOverrides {
  clock?: Clock;
  notifier?: Notifier;
  logger?: Logger;
  /** A policy object instead of reading STINT_POLICY (tests). */
  policy?: Policy;
  /** Watch the policy file for changes and SIGHUP (default true when read from a file). */
  watchPolicy?: boolean;
  /** Providers instead of the ones this build ships (tests: the no-op provider). */
  providers?: Provider[];
  /** SSH gateway knobs for tests (the session key maker, the expiry watch interval). */
  gateway?: Pick<GatewayDeps, 'generateKeyPair' | 'watchIntervalMs' | 'loginThrottle'>;
  background?: BackgroundTuning;
}

export interface App {
  config: Config;
  logger: Logger;
  store: Store;
  policy: PolicyHolder;
  providers: ProviderRegistry;
  core: CorePorts;
  grants: GrantPorts;
  server: FastifyInstance;
  metrics: JobMetrics;
  /** The `notify` queue chat notifiers send through (inline until startBackground connects it; `idle()` in tests). */
  notifications: NotifyQueue;
  /** The Slack surface, when SLACK_BOT_TOKEN and a signing secret or app token are set. */
  slack: SlackSurface | undefined;
  /** The Teams surface, when TEAMS_APP_ID and TEAMS_APP_PASSWORD are set. */
  teams: TeamsSurface | undefined;
  /** PagerDuty / Opsgenie: on-call look-ups and pages (escalation, break-glass), where configured. */
  pagers: Pagers;
  /** What `POST /api/v1/introspect` answers with; `guardrail` plugs the policy's guardrails in. */
  introspection: IntrospectionPorts;
  /** The policy's guardrails, for introspection to ask on each use of a service account's credential. */
  guardrailCheck: GuardrailCheck;
  listen(): Promise<string>;
  /**
   * Connects the queues (timers are set from then on) and, with `workers`, runs the workers and the reconciler
   * (leader only). `mayStartRedis`: start a local redis-server when none answers (`stint all`). Returns the Redis URL.
   */
  startBackground(options: { workers: boolean; mayStartRedis?: boolean }): Promise<string>;
  /** Starts the SSH gateway of launch mode when STINT_SSH_PORT is set (`serve`, `all`); undefined when it is off. */
  startGateway(): Promise<Gateway | undefined>;
  /** Throws UNAVAILABLE unless the store, the policy and (once connected) Redis answer; `/readyz` of every mode. */
  readiness(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Options for tests: the reconciler interval and worker concurrency. */
export interface BackgroundTuning {
  reconcileIntervalMs?: number;
  concurrency?: number;
}

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export async function createApp(options: { env?: Record<string, string | undefined>; overrides?: AppOverrides } = {}): Promise<App> {
  const config = loadConfig(options.env ?? process.env);
  const o = options.overrides ?? {};
  const logger = o.logger ?? createLogger(config.logLevel);
  const clock = o.clock ?? { now: () => new Date() };
  // A bad key stops the start here, before anything is opened.
  const auditAnchors = config.auditSigningKey ? { key: loadSigningKey(config.auditSigningKey) } : undefined;
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const metrics = createJobMetrics();
  metrics.sources.requestsByStatus = () => store.countRequestsByStatus();
  // stint_jit_ credentials live in the store; introspection lookups are cached ≤ 1 s and forgotten at once when
  // this process changes a credential. The token provider needs nothing outside Stint, so test overrides get it too.
  const introspectionCache = new IntrospectionCache({ now: () => performance.now() });
  const tokenOptions = { credentials: store, clock, onChange: (requestId: string) => introspectionCache.forget(requestId) };
  const chosen = o.providers
    ? [...o.providers, ...(o.providers.some((p) => p.type === 'token') ? [] : [createTokenProvider(tokenOptions)])]
    : defaultProviders(options.env ?? process.env, tokenOptions);
  const providers = createProviderRegistry(chosen.map((p) => instrumentProvider(p, metrics)));
  // Every notifier is told on its own, and none of their errors reaches a use case; chat surfaces join below.
  const notifier = new FanOutNotifier([o.notifier ?? new LogNotifier(logger), new MetricsNotifier(metrics)], logger);
  const notifications = new NotifyQueue(logger);
  // Timers go nowhere until startBackground() connects the queues; PostgreSQL keeps the schedule meanwhile.
  const scheduler = new SwitchableScheduler();
  const policy = new PolicyHolder();
  const channels = new Set<string>([...(config.slack.enabled ? ['slack'] : []), ...(config.teams.enabled ? ['teams'] : []), ...(config.smtpUrl ? ['email'] : [])]);
  // Who is on call: built-in rotations from the policy, PagerDuty/Opsgenie schedules asked (cached per minute).
  const pagers = createPagers(config.pagers, logger, { policy, clock });
  const oncall = pagers.lookup({ policy, clock });
  // Jira / ServiceNow for workflows with ticket: (issue 12), from the current policy's tickets: and its env:/file: secrets.
  const tickets = createTicketSystems({ policy, env: options.env ?? process.env });
  // accounts: a suspended service account may not request; devices: the posture an MDM reported (issue 12).
  // Step-up (issue 12): TOTP seeds sealed with STINT_SECRET_KEY (without it enrolment is refused), and OIDC re-login
  // where STINT_OIDC_ISSUER is set; with neither, step-up fails closed.
  const reLogin = config.oidc ? { linkFor: (id: string) => `${config.publicUrl!.replace(/\/+$/, '')}/auth/step-up/${id}` } : null;
  const mfa = { store, box: config.secretKey ? createSecretBox(config.secretKey) : null, reLogin };
  const core: CorePorts = { store, policy, clock, notifier, scheduler, channels, oncall, tickets, accounts: store, devices: store, providers, mfa };
  const grants: GrantPorts = { store, policy, clock, notifier, scheduler, providers, oncall, tickets };
  const guardrailPorts = { ...grants, accounts: store, audit: store };
  const guardrailCheck = checkGuardrails({ ...guardrailPorts, warn: (data, message) => logger.warn(data, message) });
  const policyPorts = { ...core, people: store, audit: store };
  // A resource config a provider refuses stops the load (and a reload keeps the last good policy).
  // Each resource also learns what its grants give, in the provider's words, for the cards.
  const checkProviders = (candidate: Policy) => {
    const unknown = providers.checkPolicy(candidate);
    for (const p of unknown) {
      logger.warn({ resource: p.resourceId, type: p.type }, `resource ${p.resourceId}: provider type "${p.type}" is not in this build yet; its grants will fail closed`);
    }
    for (const resource of candidate.resources) {
      if (!unknown.some((p) => p.resourceId === resource.id)) resource.access = providers.get(resource.provider.type).describe(resource.provider);
    }
  };

  try {
    const initial = o.policy ?? (await loadPolicyFile(config.policyPath));
    checkProviders(initial);
    await applyPolicy(initial, undefined, policyPorts);
    policy.replace(initial);
  } catch (err) {
    await store.close();
    throw err;
  }

  let watcher: { stop(): void } | undefined;
  let reconciler: Reconciler | undefined;
  let background: { redis: RedisEndpoint; connection: Redis; queues: StintQueues; workers?: Workers } | undefined;
  if (!o.policy && o.watchPolicy !== false) {
    watcher = watchPolicy(
      config.policyPath,
      {
        onReload: async (next) => {
          checkProviders(next);
          const previous = policy.replace(next);
          const { offboarded } = await applyPolicy(next, previous, policyPorts);
          logger.info({ fingerprint: next.fingerprint, offboarded }, 'policy reloaded');
        },
        onError: async (err) => {
          logger.error({ err: err.message }, 'policy reload failed; keeping the last good policy');
          await store.appendAudit({ actor: 'policy', action: 'policy.reload_failed', data: { message: err.message }, at: clock.now() });
          await notifier.notify({ kind: 'policy.reload_failed', message: err.message });
        },
      },
      policy.current(),
    );
  }

  const bootstrapHash = config.adminToken ? hashToken(config.adminToken) : undefined;
  // Loaded (or generated once) at start, so every replica answers the same fingerprint before its gateway listens.
  let hostKey: HostKey | undefined;
  try {
    hostKey = config.ssh.enabled ? await loadHostKey({ ref: config.ssh.hostKey, dataDir: config.dataDir, env: options.env ?? process.env }) : undefined;
  } catch (err) {
    await store.close();
    throw err;
  }
  let gateway: Gateway | undefined;
  const authenticate = async (req: Parameters<typeof bearerToken>[0]) =>
    authenticateToken(bearerToken(req), 'api', { tokens: store, clock, policy: policy.current(), bootstrapHash });

  const server = createHttpServer({ logger, trustProxy: config.trustProxy });
  const openapi = openApiDocument(VERSION);
  server.get('/openapi.json', async () => openapi);
  server.get('/healthz', async () => ({ status: 'ok' }));
  server.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  const redisReady = async (): Promise<boolean | null> => (background ? background.connection.ping().then(() => true, () => false) : null);
  const readiness = async () => {
    try {
      await store.ping();
      policy.current();
    } catch (err) {
      throw new StintError('UNAVAILABLE', `Not ready: ${err instanceof Error ? err.message : String(err)}`);
    }
    const redis = await redisReady();
    if (redis === false) throw new StintError('UNAVAILABLE', 'Not ready: Redis does not answer');
    return { store: store.kind, policy: policy.current().fingerprint, ...(redis === null ? {} : { redis: 'ok' }) };
  };
  server.get('/readyz', async () => ({ status: 'ready', ...(await readiness()) }));
  registerRequestRoutes(server, { core, grants, authenticate, devices: store });
  const introspection: IntrospectionPorts = {
    credentials: store,
    policy,
    clock,
    cache: introspectionCache,
    guardrail: guardrailCheck,
    onAnswer: (active) => metrics.introspections.inc({ active: String(active) }),
  };
  registerIntrospectRoutes(server, { ports: introspection, authenticate });
  registerWaitRoute(server, { core, authenticate });
  registerMcpRoute(server, {
    core,
    grants,
    tools: MCP_TOOLS,
    version: VERSION,
    logger,
    authenticate: (token) => authenticateToken(token, 'mcp', { tokens: store, clock, policy: policy.current(), bootstrapHash }),
  });
  const slack = config.slack.enabled
    ? createSlackSurface({
        settings: { botToken: config.slack.botToken!, signingSecret: config.slack.signingSecret, appToken: config.slack.appToken, apiUrl: config.slack.apiUrl },
        server,
        core,
        grants,
        audit: store,
        logger,
        chatMessages: store,
        outbox: notifications,
        refreshCards: (requestId: string): Promise<void> => slack!.syncCards(requestId),
        onRateLimited: () => metrics.chatRateLimited.inc({ platform: 'slack' }),
      })
    : undefined;
  if (slack) notifier.add(slack.notifier);
  if (pagers.notifier) notifier.add(pagers.notifier);
  const teams = config.teams.enabled
    ? createTeamsSurface({
        settings: { ...config.teams, appId: config.teams.appId!, appPassword: config.teams.appPassword! },
        server,
        core,
        grants,
        audit: store,
        directory: store,
        chatMessages: store,
        outbox: notifications,
        logger,
        onRateLimited: () => metrics.chatRateLimited.inc({ platform: 'teams' }),
      })
    : undefined;
  if (teams) notifier.add(teams.notifier);
  // The approvers' daily digest goes to each chat platform that reaches them (none configured: no digest).
  const digesters = [slack?.notifier, teams?.notifier].filter((n) => n !== undefined);
  const digestSender: DigestSender | undefined = digesters.length
    ? { sendDigest: async (personId, items) => void (await Promise.all(digesters.map((d) => d.sendDigest(personId, items)))) }
    : undefined;
  registerAdminRoutes(server, { tokens: store, clock, policy, authenticate });
  registerAuditRoutes(server, { audit: store, authenticate, ...(auditAnchors && { anchors: auditAnchors }) });
  registerGuardrailRoutes(server, { ports: guardrailPorts, authenticate });
  registerGatewayRoutes(server, {
    ports: { store, policy, clock, recordings: store },
    authenticate,
    gateway: () => (hostKey && config.ssh.port !== undefined ? { host: config.ssh.publicHost ?? null, port: gateway?.port ?? config.ssh.port, fingerprint: hostKey.fingerprint } : null),
  });
  registerMfaRoutes(server, { core, authenticate });
  if (config.oidc) registerOidcRoutes(server, { config: config.oidc, core, logger });

  return {
    config,
    logger,
    store,
    policy,
    providers,
    core,
    grants,
    server,
    slack,
    teams,
    pagers,
    introspection,
    guardrailCheck,
    async listen() {
      const address = await server.listen({ port: config.port, host: config.host });
      await slack?.start();
      return address;
    },
    metrics,
    notifications,
    async startBackground({ workers, mayStartRedis = false }) {
      if (!background) {
        const redis = await findRedis({ url: config.redisUrl, dataDir: config.dataDir, mayStart: mayStartRedis, logger });
        // No offline queue: while Redis is away an add fails at once (and is logged) instead of piling up.
        const connection = new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
        connection.on('error', () => undefined);
        const queues = createQueues(connection, config.queuePrefix, (err) => logger.debug({ err: err.message }, 'queue: Redis error (reconnecting)'));
        scheduler.target = new BullmqScheduler(queues, logger);
        metrics.sources.queueDepths = async () => {
          const states = ['waiting', 'active', 'delayed', 'failed'] as const;
          const all = await Promise.all(Object.entries(queues).map(async ([queue, q]) => ({ queue, counts: await q.getJobCounts(...states) })));
          return all.flatMap(({ queue, counts }) => states.map((state) => ({ queue, state, count: counts[state] ?? 0 })));
        };
        notifications.connect(connection, config.queuePrefix, (err) => logger.debug({ err: err.message }, 'queue: Redis error (reconnecting)'));
        background = { redis, connection, queues };
      }
      if (workers && !background.workers) {
        const tuning = o.background ?? {};
        background.workers = startWorkers({ redisUrl: background.redis.url, prefix: config.queuePrefix, ports: grants, logger, metrics, concurrency: tuning.concurrency });
        notifications.startWorker({ redisUrl: background.redis.url, prefix: config.queuePrefix, metrics, concurrency: tuning.concurrency });
        reconciler = startReconciler({ ports: grants, openSession: () => store.openSession(), logger, metrics, intervalMs: tuning.reconcileIntervalMs, ...(digestSender && { digest: digestSender }) });
      }
      return background.redis.url;
    },
    readiness,
    async startGateway() {
      if (!hostKey || config.ssh.port === undefined) return undefined;
      gateway ??= await startGateway(
        {
          store,
          grants,
          hostKey,
          logger,
          authenticate: (token) => authenticateToken(token, 'cli', { tokens: store, clock, policy: policy.current(), bootstrapHash }),
          ...o.gateway,
        },
        { port: config.ssh.port, host: config.host },
      );
      return gateway;
    },
    async close() {
      watcher?.stop();
      // Open sessions first: their recordings are stored while the store is still open.
      await gateway?.close();
      // Stop taking work (new HTTP connections, the reconciler's sweeps, new jobs), let what is in flight
      // finish, then close Redis and the pool (graceful shutdown).
      await Promise.all([reconciler?.stop(), server.close()]);
      await background?.workers?.close();
      await notifications.close();
      if (background) {
        await closeQueues(background.queues);
        background.connection.disconnect();
        await background.redis.close();
      }
      await slack?.stop();
      await providers.close();
      await store.close();
    },
  };
}
