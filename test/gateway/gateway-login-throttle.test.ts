/** The gateway blocks an address after too many failed logins: no look-up, no audit flood, and the block ends. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayHarness, type GatewayHarness } from './gateway-harness.ts';
import { login } from './gateway-client.ts';

let h: GatewayHarness;
beforeAll(async () => {
  h = await gatewayHarness({ loginThrottle: { limit: 3, windowMs: 60_000, blockMs: 300_000 } });
});
afterAll(async () => {
  await h?.close();
});

const refusals = async () => (await h.app.store.readAudit(0n, 100_000)).filter((e) => e.action === 'session.refused');

describe('gateway login throttle', () => {
  it('refuses every login from an address for the block after its third failure, auditing only the start of the block', async () => {
    const id = await h.activeLaunch();
    for (let i = 0; i < 3; i++) await expect(login(h.gateway.port, id, `stint_live_wrong-${i}`)).rejects.toThrow('refused');
    const audited = await refusals();
    expect(audited).toHaveLength(3);
    expect(String(audited[2]!.data.reason)).toMatch(/too many failed logins from (::ffff:)?127\.0\.0\.1: its logins are refused until /);

    // The right token from the same address is refused now, and nothing more is written.
    await expect(login(h.gateway.port, id, h.tokens.alice!)).rejects.toThrow('refused');
    await expect(login(h.gateway.port, id, 'stint_live_wrong-again')).rejects.toThrow('refused');
    expect(await refusals()).toHaveLength(3);

    h.clock.advance(300_001);
    const client = await login(h.gateway.port, id, h.tokens.alice!);
    client.end();
  });
});
