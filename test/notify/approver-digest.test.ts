/**
 * The approvers' daily digest as Slack and Teams show it, through the real surfaces against their fakes (which
 * reject blocks or cards over the platforms' limits): one DM per approver listing what waits, oldest first, with
 * working Approve / Deny buttons in Slack (numbered: Slack refuses equal action ids in one message), and the
 * overflow counted rather than dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequest } from '../../src/core/create-request.ts';
import type { DigestItem } from '../../src/core/ports.ts';
import { slackActor } from '../../src/slack/commands.ts';
import { teamsActor } from '../../src/teams/messages.ts';
import { slackHarness, type SlackHarness } from '../support/slack-harness.ts';
import { ALICE_AAD, CAROL_AAD, personalChat, teamsHarness, type TeamsHarness } from '../support/teams-harness.ts';

async function itemsOf(app: SlackHarness['app'], ids: string[]): Promise<DigestItem[]> {
  return Promise.all(ids.map(async (id) => ({ request: (await app.store.getRequest(id))!, approvals: (await app.store.listDecisions(id)).filter((d) => d.verdict === 'approve').length })));
}

describe('the digest in Slack', () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await slackHarness();
  }, 60_000);
  afterAll(async () => h?.close());

  it('DMs the approver one message with each waiting request and buttons that decide it', async () => {
    const ids: string[] = [];
    for (const reason of ['INC-1 stuck orders', 'INC-2 <script> & more']) {
      const { request } = await createRequest(slackActor('alice'), { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason }, h.app.core);
      ids.push(request.id);
    }
    await h.app.slack!.notifier.sendDigest('carol', await itemsOf(h.app, ids));
    const dm = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'U0CAROL' && String(c.args.text).includes('2 requests waiting for your decision'));
    const blocks = JSON.stringify(dm.args.blocks);
    expect(blocks.indexOf(ids[0]!)).toBeLessThan(blocks.indexOf(ids[1]!));
    expect(blocks).toContain('&lt;script&gt; &amp; more');
    expect(blocks).toContain('0/2 approvals');
    const buttons = (dm.args.blocks as any[]).flatMap((b) => (b.type === 'actions' ? b.elements : []));
    expect(buttons.map((b: any) => b.action_id)).toEqual(['stint_approve_list_1', 'stint_deny_list_1', 'stint_approve_list_2', 'stint_deny_list_2']);

    const second = buttons.find((b: any) => b.action_id === 'stint_approve_list_2');
    await h.blockAction('U0CAROL', second.action_id, second.value, { channel: 'D0CAROL' });
    await h.slack.waitFor('chat.postEphemeral', (c) => c.args.user === 'U0CAROL' && /^Approved/.test(String(c.args.text)) && String(c.args.text).includes(ids[1]!));
    expect(await h.app.store.listDecisions(ids[1]!)).toEqual([expect.objectContaining({ approverId: 'carol', verdict: 'approve' })]);
    expect(await h.app.store.listDecisions(ids[0]!)).toEqual([]);
  });

  it('lists twenty within Block Kit limits and counts the rest', async () => {
    const { request } = await createRequest(slackActor('alice'), { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-100 long' }, h.app.core);
    // Rendering only: 23 copies of one request under distinct ids, each with a long reason.
    const items = Array.from({ length: 23 }, (_, i): DigestItem => ({ request: { ...request, id: `jit_${String(i).padStart(26, '0')}`, reason: 'x'.repeat(2000) }, approvals: 0 }));
    await h.app.slack!.notifier.sendDigest('dave', items);
    const dm = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'U0DAVE' && String(c.args.text).includes('23 requests waiting'));
    expect(JSON.stringify(dm.args.blocks)).toContain('…and 3 more');
    expect((dm.args.blocks as any[]).filter((b) => b.type === 'actions')).toHaveLength(20);
  });
});

describe('the digest in Teams', () => {
  const YAML = `version: 1
identity: { emailDomains: [example.com] }
people:
  - { id: alice, email: alice@example.com, teams: ${ALICE_AAD}, groups: [sre] }
  - { id: carol, email: carol@example.com, teams: ${CAROL_AAD}, groups: [dba] }
timezone: UTC
resources:
  - { id: prod-orders-db, provider: { type: postgres, connection: "env:X", role: orders_rw }, maxDuration: 4h, workflow: one-dba }
workflows:
  one-dba: { eligible: [group:sre], approvers: [group:dba], required: 1 }
`;
  let h: TeamsHarness;
  beforeAll(async () => {
    h = await teamsHarness({ yaml: YAML });
    for (const aad of [ALICE_AAD, CAROL_AAD]) await h.install(aad, 'personal');
  }, 60_000);
  afterAll(async () => h?.close());

  it('sends the approver an Adaptive Card listing what waits, and how to get the cards with buttons', async () => {
    const { request } = await createRequest(teamsActor('alice'), { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-3 vacuum **now**' }, h.app.core);
    await h.app.teams!.notifier.sendDigest('carol', await itemsOf(h.app, [request.id]));
    const call = await h.connector.waitForCall((c) => c.conversationId === personalChat(CAROL_AAD) && JSON.stringify(c.body.attachments ?? []).includes('1 request waiting for your decision'));
    const card = call.body.attachments[0].content;
    const text = JSON.stringify(card.body);
    expect(text).toContain(request.id);
    expect(text).toContain('Send `pending`');
    expect(text).not.toContain('**now**');
    expect(card.actions).toBeUndefined();
  });
});
