/**
 * The break-glass follow-up review in Teams, end to end (issue 7): `@Stint breakglass` in a 1:1 chat → the loud
 * card in the channel of breakGlass.notify and the review card 1:1 to each reviewer (one copy for a reviewer who
 * is also notified), refreshed for the reviewers → the requester's own Acknowledge is refused with a 200 card →
 * a reviewer acknowledges with a comment typed in the card (`Action.Execute` stint.review) → every copy is
 * updated in place to "Reviewed by …" → a second reviewer is told it is done. Real botbuilder CloudAdapter over
 * HTTP, the fake Bot Connector (which validates every card as Adaptive Cards 1.5); no Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorCall } from '../fakes/bot-connector.ts';
import { ALICE_AAD, CAROL_AAD, DAVE_AAD, mri, personalChat, TEAM_CHANNEL, teamsHarness, type TeamsHarness } from '../support/teams-harness.ts';

let h: TeamsHarness;
let id: string;

beforeAll(async () => {
  const yaml = `version: 1
identity: { emailDomains: [example.com] }
people:
  - { id: alice, email: alice@example.com, teams: ${ALICE_AAD}, groups: [sre] }
  - { id: carol, email: carol@example.com, teams: ${CAROL_AAD}, groups: [security] }
  - { id: dave, email: dave@example.com, groups: [security] }
admins: [group:security]
timezone: UTC
resources:
  - id: prod-orders-db
    provider: { type: postgres, connection: "env:ORDERS_DB_ADMIN_URL", role: orders_rw }
    maxDuration: 4h
    workflow: sre
workflows:
  sre: { eligible: [group:sre], approvers: [group:security], required: 1 }
breakGlass: { eligible: [group:sre], maxDuration: 1h, notify: ["channel:teams:${TEAM_CHANNEL}", person:carol], reviewers: [group:security] }
`;
  h = await teamsHarness({ yaml });
  await h.install(CAROL_AAD, 'team');
  for (const aad of [ALICE_AAD, CAROL_AAD, DAVE_AAD]) await h.install(aad, 'personal');
}, 60_000);

afterAll(async () => h?.close());

const cardOf = (call: ConnectorCall) => call.body.attachments?.[0]?.content as Record<string, any> | undefined;
const cardText = (card: unknown) => JSON.stringify(card ?? {});
const verbsOf = (card: unknown) => [...cardText(card).matchAll(/"verb":"([^"]+)"/g)].map((m) => m[1]);
const postsIn = (conversationId: string) => h.connector.calls.filter((c) => c.method === 'POST' && c.conversationId === conversationId && cardText(cardOf(c)).includes(id));

async function everyCopy(match: (card: Record<string, any>) => boolean): Promise<void> {
  const copies = await h.app.store.listChatMessages(id, 'teams');
  expect(copies.map((c) => c.channel).sort()).toEqual([TEAM_CHANNEL, personalChat(ALICE_AAD), personalChat(CAROL_AAD), personalChat(DAVE_AAD)].sort());
  await Promise.all(copies.map((c) => h.connector.waitForCall((u) => u.method === 'PUT' && u.conversationId === c.channel && u.activityId === c.messageId && match(cardOf(u) ?? {}), 15_000)));
}

describe('Teams: a break-glass use is reviewed from its card', () => {
  it('posts the loud card to the channel and the review card 1:1 to each reviewer, once per person', async () => {
    const sent = await h.message(ALICE_AAD, 'breakglass prod-orders-db 30m INC-9 orders are down, paging everyone');
    const reply = await h.connector.waitForCall((c) => c.activityId === sent.activityId);
    id = /`(jit_[0-9A-Z]{26})`/.exec(String(reply.body.text))![1]!;
    const channel = await h.connector.waitForCall((c) => c.method === 'POST' && c.conversationId === TEAM_CHANNEL && cardText(cardOf(c)).includes(id));
    expect(cardText(cardOf(channel))).toContain('Break-glass access was taken without approval');
    // The reviewers (and the requester, whose grant is active) see their own buttons.
    expect(cardOf(channel)!.refresh.userIds).toEqual(expect.arrayContaining([mri(CAROL_AAD), mri(DAVE_AAD)]));
    for (const aad of [CAROL_AAD, DAVE_AAD]) {
      const card = await h.connector.waitForCall((c) => c.method === 'POST' && c.conversationId === personalChat(aad) && cardText(cardOf(c)).includes(id));
      expect(cardText(cardOf(card))).toContain('Break-glass review needed');
      expect(verbsOf(cardOf(card))).toContain('stint.review');
    }
    // carol is notified and reviews: one card, not two.
    expect(postsIn(personalChat(CAROL_AAD))).toHaveLength(1);
    const own = await h.connector.waitForCall((c) => c.method === 'POST' && c.conversationId === personalChat(ALICE_AAD) && cardText(cardOf(c)).includes(id));
    expect(cardText(cardOf(own))).toContain('Review: waiting for security');
    expect(verbsOf(cardOf(own))).not.toContain('stint.review');
  });

  it('refuses the requester acknowledging their own break-glass with a 200 card that says why', async () => {
    const click = await h.invoke(ALICE_AAD, 'stint.review', { requestId: id, reviewComment: 'fine' });
    expect(click.status).toBe(200);
    expect(cardText(click.json().value)).toContain('You cannot review your own break-glass use');
    expect((await h.app.store.getRequest(id))!.reviewStatus).toBe('PENDING');
  });

  it('acknowledges from the card with the comment typed in it, and every copy is updated to show who reviewed it', async () => {
    const click = await h.invoke(DAVE_AAD, 'stint.review', { requestId: id, reviewComment: 'checked the session log' });
    expect(click.status).toBe(200);
    const card = click.json().value;
    expect(cardText(card)).toContain('You acknowledged this break-glass review');
    expect(verbsOf(card)).not.toContain('stint.review');
    expect(await h.app.store.getRequest(id)).toMatchObject({ reviewStatus: 'ACKNOWLEDGED', reviewedBy: 'dave', reviewComment: 'checked the session log' });
    await everyCopy((c) => cardText(c).includes('Reviewed by dave') && cardText(c).includes('checked the session log') && !verbsOf(c).includes('stint.review'));
  });

  it('tells a second reviewer who acknowledged it when, without a second audit event', async () => {
    const click = await h.invoke(CAROL_AAD, 'stint.review', { requestId: id });
    expect(cardText(click.json().value)).toContain('Already acknowledged by dave');
    const events = (await h.app.store.readAudit(0n, 1000)).filter((e) => e.requestId === id && e.action === 'breakglass.reviewed');
    expect(events).toEqual([expect.objectContaining({ actor: 'dave', data: expect.objectContaining({ via: 'teams', comment: 'checked the session log' }) })]);
  });

  it('no card the bot sent was refused by the connector', () => {
    expect(h.connector.refusals.filter((r) => r.status === 400)).toEqual([]);
  });
});
