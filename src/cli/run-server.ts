/** `stint serve` / `stint all`: start the app, say where it listens and what is on, stop cleanly on SIGTERM. */
import { randomBytes } from 'node:crypto';
import { createApp } from '../app.ts';
import { loadConfig } from '../config.ts';
import { LIVE_TOKEN_PREFIX } from '../core/manage-tokens.ts';
import type { CliIo } from './client-commands.ts';
import { quickstartLines } from './quickstart.ts';

export async function runServer(mode: 'serve' | 'all', io: CliIo): Promise<void> {
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
  const address = await app.listen();
  // `all` also runs the background work in this process: activation and the reconciler (leader only).
  if (mode === 'all') app.startBackground();
  const url = address.replace('[::1]', 'localhost');
  const p = app.policy.current();
  io.out(`Stint ${mode} listening on ${url}`);
  io.out(`  store   ${app.store.kind === 'pglite' ? `embedded PGlite in ${config.dataDir}/` : 'PostgreSQL (DATABASE_URL)'}`);
  io.out(`  policy  ${config.policyPath} (fingerprint ${p.fingerprint}; ${p.resources.length} resources, ${p.people.size} people)`);
  io.out(`  REST    on   ${url}/api/v1 (OpenAPI at ${url}/openapi.json)`);
  io.out(`  Slack   ${app.config.slack.enabled ? 'on' : 'off  (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable)'}`);
  io.out(`  Teams   ${app.config.teams.enabled ? 'on' : 'off  (set TEAMS_APP_ID and TEAMS_APP_PASSWORD to enable)'}`);
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
      app.close().then(resolve, (err: unknown) => {
        app.logger.error({ err }, 'error during shutdown');
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
