/**
 * `stint serve` (HTTP; sets timers), `stint worker` (queues' workers and the reconciler; /healthz, /readyz and
 * /metrics on METRICS_PORT) and `stint all` (both in one process): start the app, say what runs, and stop
 * cleanly on SIGTERM (stop taking work, finish jobs in flight, close Redis and the pool; forced after 25 s).
 */
import { randomBytes } from 'node:crypto';
import { startMetricsServer } from '../api/metrics-server.ts';
import { createApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { LIVE_TOKEN_PREFIX } from '../core/manage-tokens.ts';
import type { CliIo } from './client-commands.ts';
import { quickstartLines } from './quickstart.ts';

export async function runServer(mode: 'serve' | 'worker' | 'all', io: CliIo): Promise<void> {
  const config = loadConfig(io.env);
  const env = { ...io.env };
  // PGlite is one in-process database: only `all` may open it (DESIGN.md section 3).
  if (!config.databaseUrl && mode !== 'all') {
    throw new Error(`\`stint ${mode}\` needs DATABASE_URL (PostgreSQL): the embedded database can only be opened by one process, so without DATABASE_URL run \`stint all\``);
  }
  // Zero-config local runs get a one-off admin token, printed once and kept only as a hash in memory.
  let mintedAdminToken: string | undefined;
  if (!config.adminToken && !config.databaseUrl) {
    mintedAdminToken = `${LIVE_TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
    env.STINT_ADMIN_TOKEN = mintedAdminToken;
  }
  const app = await createApp({ env });
  let redisUrl: string;
  try {
    redisUrl = await app.startBackground({ workers: mode !== 'serve', mayStartRedis: mode === 'all' });
  } catch (err) {
    await app.close();
    throw err;
  }
  let gatewayLine: string;
  try {
    const gateway = mode === 'worker' ? undefined : await app.startGateway();
    gatewayLine = gateway
      ? `on   port ${gateway.port} (host key ${gateway.fingerprint}; \`stint ssh <machine>\`)`
      : 'off  (set STINT_SSH_PORT to enable `stint ssh` launch sessions)';
  } catch (err) {
    await app.close();
    throw err;
  }
  const p = app.policy.current();
  const closers: Array<() => Promise<void>> = [];
  let url: string;
  if (mode === 'worker') {
    const metrics = await startMetricsServer({ port: config.metricsPort, host: config.host, registry: app.metrics.registry, ready: () => app.readiness() });
    closers.push(metrics.close);
    url = metrics.url;
    io.out(`Stint worker running; /healthz, /readyz and /metrics on ${url}`);
  } else {
    url = (await app.listen()).replace('[::1]', 'localhost');
    io.out(`Stint ${mode} listening on ${url}`);
  }
  io.out(`  store   ${app.store.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}/` : 'PostgreSQL (DATABASE_URL)'}`);
  io.out(`  redis   ${redisUrl.replace(/\/\/[^@]*@/, '//***@')} (queue prefix ${config.queuePrefix})${mode === 'serve' ? '; no workers in this process: run `stint worker` beside it' : ''}`);
  io.out(`  policy  ${config.policyPath} (fingerprint ${p.fingerprint}; ${p.resources.length} resources, ${p.people.size} people)`);
  if (mode !== 'worker') {
    io.out(`  REST    on   ${url}/api/v1 (OpenAPI at ${url}/openapi.json)`);
    io.out(`  Slack   ${app.config.slack.enabled ? 'on' : 'off  (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable)'}`);
    io.out(`  Teams   ${app.config.teams.enabled ? 'on' : 'off  (set TEAMS_APP_ID and TEAMS_APP_PASSWORD to enable)'}`);
    io.out(`  SSH     ${gatewayLine}`);
  }
  const pagers = app.pagers.describe();
  io.out(`  pagers  ${pagers.length > 0 ? pagers.join(', ') : 'off  (set PAGERDUTY_ROUTING_KEY or OPSGENIE_API_KEY to page on-call)'}`);
  if (mintedAdminToken) {
    io.out('');
    io.out('Admin token for this run (STINT_ADMIN_TOKEN was not set; a new one is made at each start):');
    io.out(`  export STINT_URL=${url} STINT_TOKEN=${mintedAdminToken}`);
    io.out('First request, from another terminal (same export):');
    for (const line of quickstartLines(p, new Date())) io.out(line);
  }

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      app.logger.info({ signal }, 'shutting down');
      const force = setTimeout(() => process.exit(1), 25_000);
      force.unref();
      Promise.all(closers.map((close) => close()))
        .then(() => app.close())
        .then(resolve, (err: unknown) => {
        app.logger.error({ err }, 'error during shutdown');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
