/**
 * The Teams story end to end (issue 6): the app is installed in a team and in each person's personal apps →
 * `@Stint request` in a 1:1 chat → the Adaptive Card is posted proactively to the workflow's channel and to each
 * approver's personal chat (every card validated as Adaptive Cards 1.5 by the fake connector) → the requester's
 * own click is refused with a 200 card that says why → two approvers' `adaptiveCard/action` invokes → the
 * PostgreSQL role is really granted (queue worker) → every copy updated in place → the requester clicks Done →
 * revoked for real. Dave is in the policy by email only: he is found through the connector's member look-up.
 * Tokens signed by another key, for another audience, or expired change nothing. Real botbuilder CloudAdapter over
 * HTTP, the fake Bot Connector, the real postgres provider against a real target database, BullMQ on Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresProvider } from '../../src/providers/postgres/postgres-provider.ts';
import type { ConnectorCall } from '../fakes/bot-connector.ts';
import { openPostgresTarget, type PostgresTarget } from '../providers/postgres-target.ts';
import { ALICE_AAD, CAROL_AAD, DAVE_AAD, mri, personalChat, TEAM_CHANNEL, TEAM_ID, TENANT_ID, teamsHarness, type TeamsHarness } from '../support/teams-harness.ts';
import { sharedRedisEnv } from '../support/test-redis.ts';

let target: PostgresTarget;
let h: TeamsHarness;
let role: string;
let account: string;

beforeAll(async () => {
  target = await openPostgresTarget();
  role = await target.createRole('orders_rw');
  account = await target.createRole('alice', 'LOGIN');
  const yaml = `version: 1
identity: { emailDomains: [example.com] }
people:
  - { id: alice, email: alice@example.com, teams: ${ALICE_AAD}, groups: [sre], accounts: { postgres: ${account} } }
  - { id: carol, email: carol@example.com, teams: ${CAROL_AAD}, groups: [dba] }
  - { id: dave, email: dave@example.com, groups: [dba] }
timezone: UTC
resources:
  - id: orders-db
    provider: { type: postgres, connection: "env:STINT_TEST_TARGET", role: ${role}, mode: membership }
    maxDuration: 4h
    minDuration: 1s
    workflow: two-dba
workflows:
  two-dba: { eligible: [group:sre], approvers: [group:dba], required: 2, channels: { teams: ["${TEAM_CHANNEL}"] } }
`;
  h = await teamsHarness({ yaml, env: { STINT_TEST_TARGET: target.database.url, ...sharedRedisEnv() }, providers: [createPostgresProvider({ env: { STINT_TEST_TARGET: target.database.url } })] });
  await h.app.startBackground({ workers: true });
}, 60_000);

afterAll(async () => {
  await h?.close();
  await target?.close();
});

const isMember = async () =>
  ((await target.admin.query('SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = $1 AND u.rolname = $2', [role, account])).rowCount ?? 0) > 0;
const cardOf = (call: ConnectorCall) => call.body.attachments?.[0]?.content as Record<string, any> | undefined;
const cardText = (card: unknown) => JSON.stringify(card ?? {});
const verbsOf = (card: unknown) => [...cardText(card).matchAll(/"verb":"([^"]+)"/g)].map((m) => m[1]);

/** Every copy of the request's card was updated in place (PUT on its activity) to a card matching `match`. */
async function everyCopy(id: string, match: (card: Record<string, any>) => boolean, timeoutMs = 20_000): Promise<void> {
  const copies = await h.app.store.listChatMessages(id, 'teams');
  expect(copies.map((c) => c.channel).sort()).toEqual([TEAM_CHANNEL, personalChat(ALICE_AAD), personalChat(CAROL_AAD), personalChat(DAVE_AAD)].sort());
  await Promise.all(copies.map((c) => h.connector.waitForCall((u) => u.method === 'PUT' && u.conversationId === c.channel && u.activityId === c.messageId && match(cardOf(u) ?? {}), timeoutMs)));
}

describe('Teams: install, request, approvals by Action.Execute, a real grant, done', () => {
  let id: string;

  it('remembers where it was installed: the team and its channels, and each personal chat', async () => {
    expect((await h.install(CAROL_AAD, 'team')).status).toBe(200);
    for (const aad of [ALICE_AAD, CAROL_AAD, DAVE_AAD]) {
      expect((await h.install(aad, 'personal')).status).toBe(200);
      const welcome = await h.connector.waitForCall((c) => c.conversationId === personalChat(aad) && String(c.body.text).includes('I am **Stint**'));
      expect(welcome.method).toBe('POST');
    }
    expect(await h.app.store.getConversationRef(TEAM_CHANNEL)).toMatchObject({ kind: 'channel', teamId: TEAM_ID, tenantId: TENANT_ID });
    expect((await h.app.store.findPersonalConversation(DAVE_AAD))?.conversationId).toBe(personalChat(DAVE_AAD));
    // Dave is known by email only: the member look-up bound him, and the binding is audited.
    const bound = (await h.app.store.readAudit(0n, 10_000)).filter((e) => e.action === 'identity.bound');
    expect(bound).toEqual([expect.objectContaining({ actor: 'dave', data: { platform: 'teams', aadObjectId: DAVE_AAD, email: 'dave@example.com' } })]);
    expect(await h.app.store.teamsUsersOf(['carol', 'dave'])).toEqual(
      new Map([
        ['carol', { teamsUserId: mri(CAROL_AAD), aadObjectId: CAROL_AAD }],
        ['dave', { teamsUserId: mri(DAVE_AAD), aadObjectId: DAVE_AAD }],
      ]),
    );
  });

  it('posts the card proactively to the channel and to each approver 1:1, refreshing for the approvers', async () => {
    const sent = await h.message(ALICE_AAD, 'request orders-db 1h INC-42 stuck orders');
    const reply = await h.connector.waitForCall((c) => c.activityId === sent.activityId);
    id = /`(jit_[0-9A-Z]{26})`/.exec(String(reply.body.text))![1]!;
    const channelCard = await h.connector.waitForCall((c) => c.method === 'POST' && c.conversationId === TEAM_CHANNEL && cardText(cardOf(c)).includes(id));
    expect(verbsOf(cardOf(channelCard))).toEqual(expect.arrayContaining(['stint.approve', 'stint.deny', 'stint.refresh']));
    expect(cardOf(channelCard)!.refresh.userIds.sort()).toEqual([mri(CAROL_AAD), mri(DAVE_AAD)].sort());
    for (const aad of [CAROL_AAD, DAVE_AAD]) {
      const card = await h.connector.waitForCall((c) => c.method === 'POST' && c.conversationId === personalChat(aad) && cardText(cardOf(c)).includes(id));
      expect(verbsOf(cardOf(card))).toContain('stint.approve');
    }
    const own = await h.connector.waitForCall((c) => c.method === 'POST' && c.conversationId === personalChat(ALICE_AAD) && cardText(cardOf(c)).includes(id));
    expect(cardText(cardOf(own))).toContain('Your request');
    expect(verbsOf(cardOf(own))).not.toContain('stint.approve');
  });

  it('refuses the requester approving their own request with a 200 card that says why, and counts nothing', async () => {
    const click = await h.invoke(ALICE_AAD, 'stint.approve', { requestId: id }, { conversationId: TEAM_CHANNEL });
    expect(click.status).toBe(200);
    const body = click.json();
    expect(body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    expect(cardText(body.value)).toMatch(/⛔ You cannot decide your own request; another approver must/);
    expect(verbsOf(body.value)).not.toContain('stint.approve');
    expect(await h.app.store.listDecisions(id)).toEqual([]);
  });

  it.each([
    ['signed by another key under the same kid', () => h.connector.channelToken({ signWith: 'other-key-same-kid' })],
    ['for another audience', () => h.connector.channelToken({ audience: 'someone-else' })],
    ['expired', () => h.connector.channelToken({ expiresInS: -600 })],
  ])('answers 401 to an approval with a token %s, and nothing changes', async (_what, token) => {
    const click = await h.invoke(CAROL_AAD, 'stint.approve', { requestId: id }, { token: token() });
    expect(click.status).toBe(401);
    expect(await h.app.store.listDecisions(id)).toEqual([]);
  });

  it('a refresh invoke answers the viewer’s own card and never changes state', async () => {
    const refreshed = await h.invoke(DAVE_AAD, 'stint.refresh', { requestId: id }, { conversationId: TEAM_CHANNEL, trigger: 'automatic' });
    expect(refreshed.status).toBe(200);
    expect(verbsOf(refreshed.json().value)).toEqual(expect.arrayContaining(['stint.approve', 'stint.deny']));
    expect(await h.app.store.listDecisions(id)).toEqual([]);
  });

  it('the first approval answers carol’s card without her buttons and updates every copy to 1/2', async () => {
    const click = await h.invoke(CAROL_AAD, 'stint.approve', { requestId: id }, { conversationId: TEAM_CHANNEL });
    expect(click.status).toBe(200);
    const card = click.json().value;
    expect(cardText(card)).toContain('You approved this request');
    expect(verbsOf(card)).not.toContain('stint.approve');
    await everyCopy(id, (c) => cardText(c).includes('1/2: carol'));
  });

  it('grants the PostgreSQL role for real after dave approves from his 1:1 chat, and every copy says until when', async () => {
    const click = await h.invoke(DAVE_AAD, 'stint.approve', { requestId: id });
    expect(click.status).toBe(200);
    await everyCopy(id, (c) => /active until/i.test(cardText(c)));
    expect(await isMember()).toBe(true);
    expect(await h.app.store.listDecisions(id)).toEqual([expect.objectContaining({ approverId: 'carol', via: 'teams' }), expect.objectContaining({ approverId: 'dave', via: 'teams' })]);
  }, 30_000);

  it('a click after the decision is answered without counting twice', async () => {
    const click = await h.invoke(CAROL_AAD, 'stint.approve', { requestId: id }, { conversationId: TEAM_CHANNEL });
    expect(click.status).toBe(200);
    expect((await h.app.store.listDecisions(id)).filter((d) => d.approverId === 'carol')).toHaveLength(1);
  });

  it('the requester clicks Done: the role is revoked for real and every copy says so', async () => {
    const click = await h.invoke(ALICE_AAD, 'stint.done', { requestId: id });
    expect(click.status).toBe(200);
    await everyCopy(id, (c) => /revoked/i.test(cardText(c)), 30_000);
    expect(await isMember()).toBe(false);
    expect(await h.app.store.getRequest(id)).toMatchObject({ status: 'REVOKED', revokeCause: 'done' });
  }, 40_000);

  it('no card the bot sent was refused by the connector', () => {
    expect(h.connector.refusals.filter((r) => r.status === 400)).toEqual([]);
  });
});
