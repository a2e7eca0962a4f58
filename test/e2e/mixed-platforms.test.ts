/**
 * One request, two chat platforms (issue 6): a request made in Slack is approved from Teams and the Slack card
 * follows, and a request made in Teams is approved from Slack and the Teams cards follow. The same human acting
 * from the other platform is still the requester: approving their own request from Teams is refused. Real Bolt and
 * the real CloudAdapter in one app, over signed HTTP, against the fake Slack Web API and the fake Bot Connector.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorCall } from '../fakes/bot-connector.ts';
import { startFakeSlackApi, type FakeSlackApi, type SlackCall } from '../fakes/slack-api.ts';
import { SIGNING_SECRET, slackClient, type SlackClient } from '../support/slack-harness.ts';
import { ALICE_AAD, CAROL_AAD, personalChat, TEAM_CHANNEL, teamsHarness, type TeamsHarness } from '../support/teams-harness.ts';

let slack: FakeSlackApi;
let h: TeamsHarness;
let s: SlackClient;

beforeAll(async () => {
  slack = await startFakeSlackApi({
    users: [
      { id: 'U0ALICE', email: 'alice@example.com' },
      { id: 'U0DAVE', email: 'dave@example.com' },
    ],
    channels: ['C0DBACCESS'],
  });
  const yaml = `version: 1
people:
  - { id: alice, email: alice@example.com, slack: U0ALICE, teams: ${ALICE_AAD}, groups: [sre] }
  - { id: carol, email: carol@example.com, teams: ${CAROL_AAD}, groups: [dba] }
  - { id: dave, email: dave@example.com, slack: U0DAVE, groups: [dba] }
timezone: UTC
resources:
  - { id: prod-orders-db, provider: { type: postgres, connection: "env:X", role: orders_rw }, maxDuration: 4h, workflow: two-dba }
workflows:
  two-dba: { eligible: [group:sre], approvers: [group:dba], required: 2, channels: { slack: [C0DBACCESS], teams: ["${TEAM_CHANNEL}"] } }
`;
  h = await teamsHarness({ yaml, env: { SLACK_BOT_TOKEN: slack.token, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl } });
  s = slackClient(h.app, slack);
  await h.install(CAROL_AAD, 'team');
  for (const aad of [ALICE_AAD, CAROL_AAD]) await h.install(aad, 'personal');
}, 60_000);

afterAll(async () => {
  await h?.close();
  await slack?.close();
});

const slackText = (call: SlackCall) => JSON.stringify(call.args.blocks ?? []) + String(call.args.text ?? '');
const teamsText = (call: ConnectorCall) => JSON.stringify(call.body.attachments ?? []) + String(call.body.text ?? '');

describe('Slack and Teams on one request', () => {
  it('a request from Slack is approved from Teams, the Slack card follows, and the requester cannot approve from Teams', async () => {
    expect((await s.command('U0ALICE', 'request prod-orders-db 1h INC-77 hot fix')).status).toBe(200);
    const answer = await slack.waitForResponse((b) => String(b.text).startsWith('Requested'));
    const id = /`(jit_[0-9A-Z]{26})`/.exec(answer.text)![1]!;
    await slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0DBACCESS' && slackText(c).includes(id));
    await h.connector.waitForCall((c) => c.method === 'POST' && c.conversationId === TEAM_CHANNEL && teamsText(c).includes(id));

    const self = await h.invoke(ALICE_AAD, 'stint.approve', { requestId: id }, { conversationId: TEAM_CHANNEL });
    expect(JSON.stringify(self.json().value)).toContain('You cannot decide your own request');
    expect(await h.app.store.listDecisions(id)).toEqual([]);

    const approved = await h.invoke(CAROL_AAD, 'stint.approve', { requestId: id }, { conversationId: TEAM_CHANNEL });
    expect(JSON.stringify(approved.json().value)).toContain('You approved this request');
    await slack.waitFor('chat.update', (u) => u.args.channel === 'C0DBACCESS' && slackText(u).includes('(1/2: carol)'));
    expect(await h.app.store.listDecisions(id)).toEqual([expect.objectContaining({ approverId: 'carol', via: 'teams' })]);
  });

  it('a request from Teams is approved from Slack and every Teams copy follows', async () => {
    const sent = await h.message(ALICE_AAD, 'request prod-orders-db 30m INC-78 index rebuild');
    const reply = await h.connector.waitForCall((c) => c.activityId === sent.activityId);
    const id = /`(jit_[0-9A-Z]{26})`/.exec(String(reply.body.text))![1]!;
    const card = await slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0DBACCESS' && slackText(c).includes(id));
    const teamsCopies = async () => (await h.app.store.listChatMessages(id, 'teams')).map((c) => c.channel).sort();
    await expect.poll(teamsCopies).toEqual([TEAM_CHANNEL, personalChat(ALICE_AAD), personalChat(CAROL_AAD)].sort());
    await s.blockAction('U0DAVE', 'stint_approve', id, { channel: 'C0DBACCESS', messageTs: String(card.args.ts ?? '') });
    await expect.poll(async () => (await h.app.store.listDecisions(id)).map((d) => [d.approverId, d.via])).toEqual([['dave', 'slack']]);
    const copies = await h.app.store.listChatMessages(id, 'teams');
    await Promise.all(copies.map((copy) => h.connector.waitForCall((c) => c.method === 'PUT' && c.activityId === copy.messageId && teamsText(c).includes('1/2: dave'))));
  });
});
