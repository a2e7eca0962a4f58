/** `@Stint …` messages over `POST /api/messages`, authenticated as the Bot Framework channel does it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE_AAD, CAROL_AAD, teamsHarness, type TeamsHarness } from '../support/teams-harness.ts';

let h: TeamsHarness;
beforeAll(async () => {
  h = await teamsHarness();
}, 60_000);
afterAll(async () => h?.close());

const replyTo = (sent: { activityId: string; conversationId: string }) =>
  h.connector.waitForCall((c) => c.conversationId === sent.conversationId && c.activityId === sent.activityId);

describe('Teams messages', () => {
  it('creates a request from a mention in a channel and replies through the Bot Connector, authenticated', async () => {
    const sent = await h.message(ALICE_AAD, '<at>Stint</at> request prod-orders-db 2h INC-1 stuck orders', { scope: 'channel' });
    expect(sent.status).toBe(200);
    const reply = await replyTo(sent);
    expect(reply.method).toBe('POST');
    expect(reply.body.text).toMatch(/^Requested: `jit_[0-9A-Z]{26}` \*\*PENDING\*\* · prod-orders-db for 2h — 0\/2 approvals/);
  });

  it('refuses the requester approving their own request, saying why, in a 1:1 chat without a mention', async () => {
    const created = await replyTo(await h.message(ALICE_AAD, 'request prod-orders-db 1h INC-7 reindex'));
    const id = /`(jit_[0-9A-Z]{26})`/.exec(created.body.text)![1]!;
    const self = await replyTo(await h.message(ALICE_AAD, `approve ${id}`));
    expect(self.body.text).toContain('SELF_APPROVAL');
    const first = await replyTo(await h.message(CAROL_AAD, `<at>Stint</at> approve ${id} looks fine`));
    expect(first.body.text).toMatch(/^Approved: .*1\/2 approvals/);
  });

  it('tells an unknown Teams user the admin step that lets them in', async () => {
    const reply = await replyTo(await h.message('dddddddd-0000-4000-8000-000000000000', 'list'));
    expect(reply.body.text).toContain('teams: dddddddd-0000-4000-8000-000000000000');
  });

  it('answers a usage error with the Teams form of the verbs', async () => {
    const reply = await replyTo(await h.message(ALICE_AAD, 'request prod-orders-db soon'));
    expect(reply.body.text).toContain('`soon` is not a duration');
    expect(reply.body.text).toContain('@Stint request');
  });
});

describe('Teams authentication', () => {
  const refused: Array<[string, () => string | null]> = [
    ['no token', () => null],
    ['a token signed by another key under the same kid', () => h.connector.channelToken({ signWith: 'other-key-same-kid' })],
    ['a token with an unknown kid', () => h.connector.channelToken({ signWith: 'other-kid' })],
    ['a token for another audience', () => h.connector.channelToken({ audience: 'someone-else' })],
    ['an expired token', () => h.connector.channelToken({ expiresInS: -600 })],
    ['a token for another serviceUrl', () => h.connector.channelToken({ serviceUrl: 'https://smba.example.net/' })],
  ];
  it.each(refused)('answers 401 to %s and creates nothing', async (_what, token) => {
    const sent = await h.message(ALICE_AAD, 'request prod-orders-db 1h INC-9 should not exist', { token: token() });
    expect(sent.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(h.connector.calls.filter((c) => c.activityId === sent.activityId)).toEqual([]);
    const mine = await h.app.store.listRequests({ requesterId: 'alice' });
    expect(mine.some((r) => r.reason.includes('should not exist'))).toBe(false);
  });

  it('refuses (403) and audits an activity from another tenant', async () => {
    const sent = await h.message(ALICE_AAD, 'request prod-orders-db 1h INC-9 wrong tenant', { tenantId: '22222222-2222-4222-8222-222222222222' });
    expect(sent.status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(h.connector.calls.filter((c) => c.activityId === sent.activityId)).toEqual([]);
    expect((await h.app.store.listRequests({ requesterId: 'alice' })).some((r) => r.reason.includes('wrong tenant'))).toBe(false);
    const audit = await h.app.store.readAudit(0n, 10_000);
    expect(audit.some((e) => e.action === 'teams.tenant_refused')).toBe(true);
  });
});
