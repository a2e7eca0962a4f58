/** Without TEAMS_TENANT_ID the bot is multi-tenant: any tenant's authenticated activity is served. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ALICE_AAD, teamsHarness, type TeamsHarness } from '../support/teams-harness.ts';

let h: TeamsHarness;
beforeAll(async () => {
  h = await teamsHarness({ env: { TEAMS_TENANT_ID: '' } });
}, 60_000);
afterAll(async () => h?.close());

it('serves an activity from any tenant when no tenant id is configured', async () => {
  const sent = await h.message(ALICE_AAD, 'list', { tenantId: '22222222-2222-4222-8222-222222222222' });
  expect(sent.status).toBe(200);
  const reply = await h.connector.waitForCall((c) => c.activityId === sent.activityId);
  expect(reply.body.text).toContain('You have no requests yet');
});
