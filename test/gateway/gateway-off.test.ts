/** Without STINT_SSH_PORT the gateway is off, and discovery says so (stint ssh then refuses before asking for access). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiHarness, type ApiHarness } from '../support/api-harness.ts';

let h: ApiHarness;
beforeAll(async () => {
  h = await apiHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('gateway off', () => {
  it('answers enabled: false and starts nothing', async () => {
    expect((await h.call('alice', 'GET', '/api/v1/gateway')).body).toEqual({ enabled: false, host: null, port: null, hostKeyFingerprint: null });
    expect(await h.app.startGateway()).toBeUndefined();
  });
});
