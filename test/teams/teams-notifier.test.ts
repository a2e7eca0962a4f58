/**
 * Proactive Teams cards through the notify path (src/teams/teams-notifier.ts, teams-sender.ts): a throttled
 * conversation is waited out and still gets its card; a channel whose team Stint is not in is refused as
 * `not_installed` — alerted and audited once — while approvers still get their card 1:1; a conversation that
 * refuses the bot (403) is audited with the connector's code and not retried; the requester hears each decision.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequest } from '../../src/core/create-request.ts';
import { decideRequest } from '../../src/core/decide-request.ts';
import { teamsActor } from '../../src/teams/messages.ts';
import type { ConnectorCall } from '../fakes/bot-connector.ts';
import { ALICE_AAD, CAROL_AAD, DAVE_AAD, personalChat, TEAM_CHANNEL, teamsHarness, type TeamsHarness } from '../support/teams-harness.ts';

const YAML = `version: 1
identity: { emailDomains: [example.com] }
people:
  - { id: alice, email: alice@example.com, teams: ${ALICE_AAD}, groups: [sre] }
  - { id: carol, email: carol@example.com, teams: ${CAROL_AAD}, groups: [dba] }
  - { id: dave, email: dave@example.com, teams: ${DAVE_AAD}, groups: [dba] }
timezone: UTC
resources:
  - { id: prod-orders-db, provider: { type: postgres, connection: "env:X", role: orders_rw }, maxDuration: 4h, workflow: two-dba }
workflows:
  two-dba: { eligible: [group:sre], approvers: [group:dba], required: 2, channels: { teams: ["${TEAM_CHANNEL}"] } }
`;

let h: TeamsHarness;
beforeAll(async () => {
  h = await teamsHarness({ yaml: YAML });
  for (const aad of [ALICE_AAD, CAROL_AAD, DAVE_AAD]) await h.install(aad, 'personal');
}, 60_000);
afterAll(async () => h?.close());

const cardHas = (call: ConnectorCall, text: string) => JSON.stringify(call.body.attachments ?? []).includes(text);

async function request(): Promise<string> {
  const { request } = await createRequest(teamsActor('alice'), { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-9 reindex' }, h.app.core);
  return request.id;
}

async function notifyFailures(id: string) {
  return (await h.app.store.readAudit(0n, 100_000)).filter((e) => e.action === 'notify.failed' && e.requestId === id);
}

describe('Teams notifier', () => {
  it('without the team installed, alerts not_installed once and still reaches each approver 1:1', async () => {
    const id = await request();
    await h.connector.waitForCall((c) => c.conversationId === personalChat(CAROL_AAD) && cardHas(c, id));
    await h.connector.waitForCall((c) => c.conversationId === personalChat(DAVE_AAD) && cardHas(c, id));
    await expect.poll(() => notifyFailures(id)).toEqual([
      expect.objectContaining({ actor: 'stint', data: { platform: 'teams', channel: TEAM_CHANNEL, method: 'sendToConversation', error: 'not_installed' } }),
    ]);
    expect(h.connector.calls.some((c) => c.conversationId === TEAM_CHANNEL)).toBe(false);
  });

  it('once installed in the team, posts to its channel; a throttled channel is waited out (Retry-After)', async () => {
    await h.install(CAROL_AAD, 'team');
    h.connector.throttle(TEAM_CHANNEL, 1, 1);
    const started = Date.now();
    const id = await request();
    await h.connector.waitForCall((c) => c.method === 'POST' && c.conversationId === TEAM_CHANNEL && cardHas(c, id), 10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(h.connector.refusals.filter((r) => r.status === 429)).toHaveLength(1);
    expect(await notifyFailures(id)).toEqual([]);
  });

  it('tells the requester of each decision in their chat and updates every copy', async () => {
    const id = await request();
    await h.connector.waitForCall((c) => c.conversationId === personalChat(ALICE_AAD) && cardHas(c, id));
    await decideRequest(teamsActor('carol'), { requestId: id, verdict: 'deny', comment: 'not during the freeze' }, h.app.core);
    const note = await h.connector.waitForCall((c) => c.conversationId === personalChat(ALICE_AAD) && String(c.body.text ?? '').includes(id));
    expect(note.body.text).toContain('Denied by carol: not during the freeze');
    const copies = await h.app.store.listChatMessages(id, 'teams');
    expect(copies).toHaveLength(4);
    await Promise.all(copies.map((copy) => h.connector.waitForCall((c) => c.method === 'PUT' && c.activityId === copy.messageId && cardHas(c, 'Denied by carol'))));
  });

  it('a conversation that refuses the bot (403) is audited with the connector’s code, once, and not retried', async () => {
    h.connector.notInConversation.add(personalChat(DAVE_AAD));
    const id = await request();
    await expect.poll(() => notifyFailures(id)).toEqual([
      expect.objectContaining({ data: { platform: 'teams', channel: personalChat(DAVE_AAD), method: 'sendToConversation', error: 'BotNotInConversationRoster' } }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.connector.refusals.filter((r) => r.status === 403 && r.path.includes(encodeURIComponent(personalChat(DAVE_AAD))))).toHaveLength(1);
    h.connector.notInConversation.clear();
  });

  it('forgets the team when Stint is removed from it', async () => {
    await h.uninstallTeam(CAROL_AAD);
    expect(await h.app.store.getConversationRef(TEAM_CHANNEL)).toBeNull();
  });
});
