/** Break-glass over REST is granted inside the call: it must work with no worker and no Redis (DESIGN.md section 6). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantApiHarness, type GrantApiHarness } from '../support/grant-api-harness.ts';

let h: GrantApiHarness;
beforeAll(async () => {
  h = await grantApiHarness();
}, 60_000);
afterAll(async () => h?.close());

describe('break-glass over REST', () => {
  it('answers 201 ACTIVE with the grant already applied, with no background work running', async () => {
    const created = await h.call('alice', 'POST', '/api/v1/credentials/jit', {
      scopes: ['reports-db'],
      duration: '30m',
      reason: 'INC-9 production is down, orders failing',
      breakGlass: true,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'ACTIVE', breakGlass: true, activatedAt: expect.any(String), expiresAt: expect.any(String) });
    expect([...h.provider.expiries.keys()]).toEqual([`${created.body.id}/reports-db`]);
    const actions = (await h.app.store.readAudit(0n, 100)).filter((e) => e.requestId === created.body.id).map((e) => e.action);
    expect(actions).toEqual(['request.created', 'request.approved', 'breakglass.review_requested', 'grant.scope_granted', 'grant.activated']);
  });

  it('still refuses someone not eligible for break-glass, granting nothing', async () => {
    const refused = await h.call('mallory', 'POST', '/api/v1/credentials/jit', { scopes: ['reports-db'], duration: '30m', reason: 'I would like it right now please', breakGlass: true });
    expect(refused.status).toBe(403);
  });
});
