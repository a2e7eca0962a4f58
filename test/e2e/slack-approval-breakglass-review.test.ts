/**
 * The break-glass follow-up review in Slack, end to end (issue 7): a signed `/jit breakglass` → the loud post to
 * breakGlass.notify and the review card to each reviewer by DM (one copy for a person who is both) → the requester
 * cannot acknowledge their own → a reviewer clicks "Acknowledge review", types a comment in the modal → every copy
 * of the card shows who reviewed it → a second reviewer is told it is already done. Real Bolt over signed HTTP,
 * the fake Slack Web API; no Redis (the card deliveries run inline).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackCall } from '../fakes/slack-api.ts';
import { plainText, SLACK_POLICY_YAML, slackHarness, type SlackHarness } from '../support/slack-harness.ts';

let h: SlackHarness;
let id: string;

beforeAll(async () => {
  // erin (security) is told loudly and reviews; dave reviews too, without being told.
  const yaml = SLACK_POLICY_YAML.replace(
    'breakGlass: { eligible: [group:sre], maxDuration: 1h, notify: [group:security] }',
    'breakGlass: { eligible: [group:sre], maxDuration: 1h, notify: [group:security, "channel:slack:C0SECURITY"], reviewers: [group:security, person:dave] }',
  );
  h = await slackHarness({ yaml });
}, 60_000);

afterAll(async () => h?.close());

const blocksText = (call: SlackCall) => JSON.stringify(call.args.blocks ?? []);
const postsTo = (channel: string) => h.slack.callsOf('chat.postMessage').filter((c) => c.args.channel === channel && blocksText(c).includes(id));

async function everyCopy(match: (call: SlackCall) => boolean): Promise<void> {
  const copies = await h.app.store.listChatMessages(id, 'slack');
  expect(copies.map((c) => c.channel).sort()).toEqual(['C0SECURITY', 'DU0ALICE', 'DU0DAVE', 'DU0ERIN']);
  await Promise.all(copies.map((c) => h.slack.waitFor('chat.update', (u) => u.args.channel === c.channel && u.args.ts === c.messageId && match(u), 15_000)));
}

describe('Slack: a break-glass use is reviewed from its card', () => {
  it('posts loudly to breakGlass.notify and the review card to each reviewer by DM, once per person', async () => {
    await h.command('U0ALICE', 'breakglass prod-orders-db 30m INC-9 orders are down, paging everyone');
    const answer = await h.slack.waitForResponse((b) => String(b.text).startsWith('Approved'));
    id = /`(jit_[0-9A-Z]{26})`/.exec(answer.text)![1]!;
    const loud = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0SECURITY' && blocksText(c).includes(id));
    expect(String(loud.args.text)).toContain('<!here>');
    expect(blocksText(loud)).toContain('Review: waiting for security or dave');
    const erin = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ERIN' && blocksText(c).includes(id));
    const dave = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'U0DAVE' && blocksText(c).includes(id));
    for (const dm of [erin, dave]) {
      expect(blocksText(dm)).toContain('Break-glass review needed');
      expect(blocksText(dm)).toContain('stint_review');
    }
    // erin is in notify and a reviewer: one DM, not two.
    expect(postsTo('U0ERIN')).toHaveLength(1);
    // The requester's own copy shows the review but offers no button to acknowledge it.
    const mine = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ALICE' && blocksText(c).includes(id));
    expect(blocksText(mine)).toContain('Review: waiting for security or dave');
    expect(blocksText(mine)).not.toContain('stint_review');
  });

  it("lists the review under the reviewer's /jit pending and on their App Home, with the button", async () => {
    await h.command('U0DAVE', 'pending');
    const pending = await h.slack.waitForResponse((b) => String(b.text).includes('Waiting for you'));
    expect(pending.text).toContain(id);
    await h.event({ type: 'app_home_opened', user: 'U0DAVE', channel: 'DU0DAVE', tab: 'home' });
    const home = await h.slack.waitFor('views.publish', (c) => c.args.user_id === 'U0DAVE' && JSON.stringify(c.args.view).includes(id));
    expect(JSON.stringify(home.args.view)).toContain('stint_review_home_');
  });

  it('refuses the requester acknowledging their own break-glass, in the modal, and changes nothing', async () => {
    const click = await h.blockAction('U0ALICE', 'stint_review', id, { channel: 'DU0ALICE' });
    await h.slack.waitFor('views.open', (c) => c.args.trigger_id === click.triggerId);
    const refused = await h.viewSubmission('U0ALICE', 'stint_review_modal', { comment: { comment: plainText('all good') } }, id);
    expect(refused.json()).toMatchObject({ response_action: 'update' });
    expect(JSON.stringify(refused.json())).toContain('SELF_APPROVAL');
    expect((await h.app.store.getRequest(id))!.reviewStatus).toBe('PENDING');
  });

  it('acknowledges from the card with a comment typed in the modal, and every copy shows who reviewed it', async () => {
    const click = await h.blockAction('U0DAVE', 'stint_review', id, { channel: 'DU0DAVE' });
    const opened = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === click.triggerId);
    expect(opened.args.view).toMatchObject({ type: 'modal', callback_id: 'stint_review_modal', private_metadata: id });
    const done = await h.viewSubmission('U0DAVE', 'stint_review_modal', { comment: { comment: plainText('checked the session, rotated nothing') } }, id);
    expect(done.status).toBe(200);
    expect(done.body).toBe('');
    expect(await h.app.store.getRequest(id)).toMatchObject({ reviewStatus: 'ACKNOWLEDGED', reviewedBy: 'dave', reviewComment: 'checked the session, rotated nothing' });
    await everyCopy((u) => blocksText(u).includes('Reviewed by dave') && blocksText(u).includes('checked the session, rotated nothing') && !blocksText(u).includes('stint_review'));
  });

  it('tells a second reviewer it was already acknowledged, by whom, without a second audit event', async () => {
    await h.viewSubmission('U0ERIN', 'stint_review_modal', { comment: { comment: plainText('me too') } }, id);
    const told = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ERIN' && String(c.args.text).includes('Already acknowledged by dave'));
    expect(told.args.text).toContain(id);
    const events = (await h.app.store.readAudit(0n, 1000)).filter((e) => e.requestId === id && e.action === 'breakglass.reviewed');
    expect(events).toEqual([expect.objectContaining({ actor: 'dave', data: expect.objectContaining({ breakGlass: true, via: 'slack' }) })]);
  });
});
