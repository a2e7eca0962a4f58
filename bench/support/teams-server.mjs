// Stint for the Teams bench, from the compiled build (dist/) as production runs it: the real app with its Teams
// surface (configured by the TEAMS_* env against the bench's fake Bot Connector); the postgres resources are
// served by the no-op provider. Prints its URL once listening.
// With BENCH_TEAMS_PROFILE=1 it also times, per request, the JWT validation, the whole route, each store and
// notifier call (wall time, waiting included) and the event loop; SIGUSR1 resets the figures, and on SIGTERM
// they go to stderr as one JSON line (teams-profile.mjs), so where an invoke's time goes can be read off a run.
import { createApp } from '../../dist/app.js';
import { createNoopProvider } from '../../dist/providers/noop/noop-provider.js';

const profile = process.env.BENCH_TEAMS_PROFILE === '1' ? await import('./teams-profile.mjs') : null;
profile?.instrumentAuthentication(await import('botbuilder'));
const app = await createApp({ env: process.env, overrides: { providers: [{ ...createNoopProvider(), type: 'postgres' }], watchPolicy: false } });
profile?.instrumentApp(app);
const url = await app.listen();
process.stdout.write(`ready ${url}\n`);
process.once('SIGTERM', () => {
  if (profile) process.stderr.write(`teams-profile ${JSON.stringify(profile.report())}\n`);
  void app.close().then(() => process.exit(0));
});
