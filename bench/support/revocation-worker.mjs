// `stint worker` for the revocation bench, from the compiled build (dist/, as production runs it): the same
// app, workers and reconciler, with an in-memory provider serving the policy's `postgres` resources, so the
// bench measures Stint's scheduling and bookkeeping, not a target. The bench seeds grants straight into the
// database, so this provider reports a grant present until it is revoked (the drift sweep then sees no drift).
// Prints "ready"; stops gracefully on SIGTERM.
import { createApp } from '../../dist/app.js';

const revoked = new Set();
const provider = {
  type: 'postgres',
  validate() {},
  async grant(_config, target) {
    return { key: `${target.requestId}/${target.resourceId}` };
  },
  async extend(_config, handle) {
    return handle;
  },
  async revoke(_config, handle, { stillNeeded }) {
    if (!stillNeeded) revoked.add(handle.key);
  },
  async check(_config, handle) {
    return revoked.has(handle.key) ? 'absent' : 'present';
  },
  describe: () => 'bench (in memory)',
};

const app = await createApp({ env: process.env, overrides: { providers: [provider], watchPolicy: false } });
await app.startBackground({ workers: true });
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
