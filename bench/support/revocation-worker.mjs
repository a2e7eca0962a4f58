// `stint worker` for the revocation bench, from the compiled build (dist/, as production runs it): the same
// app, workers and reconciler, with the no-op provider serving the policy's `postgres` resources, so the bench
// measures Stint's scheduling and bookkeeping, not a target. Prints "ready"; stops gracefully on SIGTERM.
import { createApp } from '../../dist/app.js';
import { createNoopProvider } from '../../dist/providers/noop/noop-provider.js';

const app = await createApp({ env: process.env, overrides: { providers: [{ ...createNoopProvider(), type: 'postgres' }], watchPolicy: false } });
await app.startBackground({ workers: true });
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
