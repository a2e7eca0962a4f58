// Stint for the Slack bench, from the compiled build (dist/) as production runs it: the real app with its
// Slack surface; the postgres resources are served by the no-op provider. Prints its URL once listening.
import { createApp } from '../../dist/app.js';
import { createNoopProvider } from '../../dist/providers/noop/noop-provider.js';

const app = await createApp({ env: process.env, overrides: { providers: [{ ...createNoopProvider(), type: 'postgres' }], watchPolicy: false } });
const url = await app.listen();
process.stdout.write(`ready ${url}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
