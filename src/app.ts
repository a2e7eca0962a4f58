/**
 * The one composition root: reads config, opens the store, loads the policy, builds the notifier and the
 * HTTP server, and wires them into the adapters. `createApp({ env, overrides })` lets tests swap any port
 * instead of mocking modules.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerAdminRoutes } from './api/admin-routes.ts';
import { bearerToken, createHttpServer } from './api/http-server.ts';
import { openApiDocument } from './api/openapi.ts';
import { registerRequestRoutes } from './api/request-routes.ts';
import { loadConfig, type Config } from './config.ts';
import { applyPolicy } from './core/apply-policy.ts';
import { authenticateToken, hashToken } from './core/manage-tokens.ts';
import { activateGrant } from './core/activate-grant.ts';
import type { Clock, CorePorts, GrantPorts, Notifier, Provider } from './core/ports.ts';
import { StintError } from './domain/errors.ts';
import { ActivationKick } from './jobs/activation-kick.ts';
import { startReconciler, type Reconciler } from './jobs/reconciler.ts';
import { createLogger } from './logger.ts';
import { LogNotifier } from './notify/log-notifier.ts';
import { loadPolicyFile, watchPolicy } from './policy/index.ts';
import type { Policy } from './policy/model.ts';
import { PolicyHolder } from './policy/policy-holder.ts';
import { defaultProviders } from './providers/default-providers.ts';
import { createProviderRegistry, type ProviderRegistry } from './providers/registry.ts';
import { openStore, type Store } from './store/open-store.ts';

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
  listen(): Promise<string>;
  /** Background work of `stint all`: the reconciler (leader only) and activation right after approval. */
  startBackground(): void;
  close(): Promise<void>;
}

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export async function createApp(options: { env?: Record<string, string | undefined>; overrides?: AppOverrides } = {}): Promise<App> {
  const config = loadConfig(options.env ?? process.env);
  const o = options.overrides ?? {};
  const logger = o.logger ?? createLogger(config.logLevel);
  const clock = o.clock ?? { now: () => new Date() };
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const providers = createProviderRegistry(o.providers ?? defaultProviders(options.env ?? process.env));
  // The kick needs the grant ports, which need the notifier: the closure reads them once they exist (below);
  // it only fires after startBackground().
  const notifier = new ActivationKick(o.notifier ?? new LogNotifier(logger), (id) => activateGrant(id, grants), logger);
  const policy = new PolicyHolder();
  const channels = new Set<string>([...(config.slack.enabled ? ['slack'] : []), ...(config.teams.enabled ? ['teams'] : []), ...(config.smtpUrl ? ['email'] : [])]);
  const core: CorePorts = { store, policy, clock, notifier, channels };
  const grants: GrantPorts = { store, policy, clock, notifier, providers };
  const policyPorts = { ...core, people: store, audit: store };
  // A resource config a provider refuses stops the load (and a reload keeps the last good policy).
  const checkProviders = (candidate: Policy) => {
    for (const p of providers.checkPolicy(candidate)) {
      logger.warn({ resource: p.resourceId, type: p.type }, `resource ${p.resourceId}: provider type "${p.type}" is not in this build yet; its grants will fail closed`);
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
  const authenticate = async (req: Parameters<typeof bearerToken>[0]) =>
    authenticateToken(bearerToken(req), 'api', { tokens: store, clock, policy: policy.current(), bootstrapHash });

  const server = createHttpServer({ logger });
  const openapi = openApiDocument(VERSION);
  server.get('/openapi.json', async () => openapi);
  server.get('/healthz', async () => ({ status: 'ok' }));
  server.get('/readyz', async () => {
    try {
      await store.ping();
      policy.current();
    } catch (err) {
      throw new StintError('UNAVAILABLE', `Not ready: ${err instanceof Error ? err.message : String(err)}`);
    }
    return { status: 'ready', store: store.kind, policy: policy.current().fingerprint };
  });
  registerRequestRoutes(server, { core, grants, authenticate });
  registerAdminRoutes(server, { tokens: store, audit: store, clock, policy, authenticate });

  return {
    config,
    logger,
    store,
    policy,
    providers,
    core,
    grants,
    server,
    async listen() {
      return server.listen({ port: config.port, host: config.host });
    },
    startBackground() {
      notifier.enabled = true;
      reconciler ??= startReconciler({ ports: grants, openSession: () => store.openSession(), logger });
    },
    async close() {
      watcher?.stop();
      notifier.enabled = false;
      await reconciler?.stop();
      await server.close();
      await providers.close();
      await store.close();
    },
  };
}
