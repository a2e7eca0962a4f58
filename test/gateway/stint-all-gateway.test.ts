/**
 * `stint all` with STINT_SSH_PORT (embedded store): the banner says the gateway is on with its host key, the key is
 * generated once into the data folder (mode 600), discovery answers it, and SIGTERM shuts the gateway down cleanly.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, spawnStint, stopAllStintProcesses } from '../support/stint-process.ts';
import { freePort, sharedRedisEnv } from '../support/test-redis.ts';

const dir = mkdtempSync(join(tmpdir(), 'stint-all-gateway-'));
const ADMIN = 'stint-all-gateway-admin-token-0123456789';
afterAll(async () => {
  await stopAllStintProcesses();
  rmSync(dir, { recursive: true, force: true });
});

describe('stint all and the SSH gateway', () => {
  it('starts the gateway when STINT_SSH_PORT is set, says so with its host key, and stops it on SIGTERM', async () => {
    const port = await freePort();
    const sshPort = await freePort();
    const env = { ...cleanEnv(), ...sharedRedisEnv(), STINT_DATA_DIR: join(dir, 'on'), STINT_POLICY: 'examples/stint.yaml', PORT: String(port), STINT_SSH_PORT: String(sshPort), STINT_ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn' };
    const stint = await spawnStint('all', { env, name: 'gateway-on', startTimeoutMs: 150_000 });
    await stint.waitForOutput(/SSH\s+on/);
    const banner = /SSH\s+on\s+port (\d+) \(host key (SHA256:[A-Za-z0-9+/]{43}); `stint ssh <machine>`\)/.exec(stint.output());
    expect(banner, stint.output()).not.toBeNull();
    expect(Number(banner![1])).toBe(sshPort);
    expect(statSync(join(dir, 'on', 'ssh_host_ed25519_key')).mode & 0o777).toBe(0o600);
    const info = await (await fetch(`http://127.0.0.1:${port}/api/v1/gateway`, { headers: { authorization: `Bearer ${ADMIN}` } })).json();
    expect(info).toEqual({ enabled: true, host: null, port: sshPort, hostKeyFingerprint: banner![2] });
    expect(await stint.stop()).toBe(0);
  }, 200_000);
});
