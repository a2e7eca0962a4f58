/**
 * Approval cards in Slack, end to end against the fake Web API: posted to the workflow's channel and to each
 * approver by DM, recorded, and updated in place at every transition. Inline (no Redis) except the last
 * block, which goes through the real BullMQ `notify` queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { remindReviews } from '../../src/core/remind-reviews.ts';
import type { SlackCall } from '../fakes/slack-api.ts';
import { checkBlocks } from '../fakes/slack-api.ts';
import { SLACK_POLICY_YAML, slackHarness, type SlackHarness } from '../support/slack-harness.ts';
import { sharedRedisEnv } from '../support/test-redis.ts';

// Two more things to post to: a workflow whose channel does not exist, and a channel for break-glass.
const YAML = SLACK_POLICY_YAML.replace(
  '  - id: dev-*\n',
  '  - id: legacy-db\n    provider: { type: postgres, connection: "env:LEGACY_DB_ADMIN_URL", role: legacy_rw }\n    maxDuration: 4h\n    workflow: legacy\n  - id: dev-*\n',
)
  .replace('workflows:\n', 'workflows:\n  legacy:\n    eligible: [group:sre]\n    approvers: [group:dba]\n    required: 1\n    channels: { slack: [C0NOSUCH] }\n')
  .replace('notify: [group:security] }', 'notify: [group:security, "channel:slack:C0SECURITY"] }');

const buttonsOf = (call: SlackCall): Array<{ action_id: string; value: string; style?: string }> =>
  (call.args.blocks ?? []).flatMap((b: any) => (b.type === 'actions' ? b.elements : []));
const mentions = (call: SlackCall, id: string) => JSON.stringify(call.args.blocks ?? call.args.text).includes(id);

async function requestVia(h: SlackHarness, userId: string, text: string): Promise<string> {
  const sent = await h.command(userId, text);
  const answer = await h.slack.waitForResponse((b) => h.slack.responses.some((r) => r.body === b && sent.responseUrl.endsWith(r.id)));
  const id = /`(jit_[0-9A-Z]{26})`/.exec(String(answer.text))?.[1];
  if (!id) throw new Error(`no request id in: ${answer.text}`);
  return id;
}

async function answerOf(h: SlackHarness, userId: string, text: string): Promise<string> {
  const sent = await h.command(userId, text);
  const answer = await h.slack.waitForResponse((b) => h.slack.responses.some((r) => r.body === b && sent.responseUrl.endsWith(r.id)));
  return String(answer.text);
}

/** Waits until every recorded copy of the request has an update matching `match`; returns those updates. */
async function everyCopyUpdated(h: SlackHarness, id: string, match: (call: SlackCall) => boolean, timeoutMs = 10_000): Promise<SlackCall[]> {
  const copies = await h.app.store.listChatMessages(id, 'slack');
  expect(copies.length).toBeGreaterThan(0);
  return Promise.all(copies.map((c) => h.slack.waitFor('chat.update', (u) => u.args.channel === c.channel && u.args.ts === c.messageId && match(u), timeoutMs)));
}

const postTo = (h: SlackHarness, channel: string, id: string) => h.slack.waitFor('chat.postMessage', (c) => c.args.channel === channel && mentions(c, id));

describe('Slack cards, sent inline', () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await slackHarness({ yaml: YAML });
  }, 60_000);
  afterAll(async () => h?.close());

  describe('a request that needs two approvals', () => {
    let id: string;
    beforeAll(async () => {
      id = await requestVia(h, 'U0ALICE', 'request prod-orders-db 2h INC-1234 stuck orders');
    });

    it('posts the card to the workflow channel with Approve and Deny carrying the request id', async () => {
      const card = await postTo(h, 'C0DBACCESS', id);
      expect(buttonsOf(card)).toEqual([
        expect.objectContaining({ action_id: 'stint_approve', value: id, style: 'primary' }),
        expect.objectContaining({ action_id: 'stint_deny', value: id, style: 'danger' }),
      ]);
    });

    it('DMs the card to each approver, with their buttons', async () => {
      for (const approver of ['U0CAROL', 'U0DAVE']) {
        const dm = await postTo(h, approver, id);
        expect(buttonsOf(dm).map((b) => b.action_id)).toEqual(['stint_approve', 'stint_deny']);
      }
    });

    it('DMs the requester their own copy, without approval buttons', async () => {
      const dm = await postTo(h, 'U0ALICE', id);
      expect(dm.args.text).toContain(`Your request ${id}`);
      expect(buttonsOf(dm)).toEqual([]);
    });

    it('records every copy it posted', async () => {
      await postTo(h, 'U0ALICE', id);
      await h.app.notifications.idle();
      const copies = await h.app.store.listChatMessages(id, 'slack');
      expect(copies.map((c) => [c.channel, c.recipientId]).sort()).toEqual([
        ['C0DBACCESS', null],
        ['DU0ALICE', 'alice'],
        ['DU0CAROL', 'carol'],
        ['DU0DAVE', 'dave'],
      ]);
    });

    it('updates every copy to 1/2 when carol approves by command', async () => {
      await h.app.notifications.idle();
      expect(await answerOf(h, 'U0CAROL', `approve ${id} looks fine`)).toMatch(/^Approved:/);
      const updates = await everyCopyUpdated(h, id, (u) => JSON.stringify(u.args.blocks).includes('(1/2: carol)'));
      const carolCopy = updates.find((u) => u.args.channel === 'DU0CAROL')!;
      const daveCopy = updates.find((u) => u.args.channel === 'DU0DAVE')!;
      expect(buttonsOf(carolCopy)).toEqual([]);
      expect(buttonsOf(daveCopy).map((b) => b.action_id)).toEqual(['stint_approve', 'stint_deny']);
    });

    it('updates every copy to approved at the second approval, without buttons', async () => {
      await h.app.notifications.idle();
      await answerOf(h, 'U0DAVE', `approve ${id}`);
      const updates = await everyCopyUpdated(h, id, (u) => JSON.stringify(u.args.blocks).includes('Approved by carol, dave'));
      for (const update of updates) expect(buttonsOf(update)).toEqual([]);
    });

    it('tells the requester in a short DM line', async () => {
      const line = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ALICE' && !c.args.blocks && String(c.args.text).includes('Approved by carol, dave'));
      expect(line.args.text).toContain(id);
    });
  });

  it('waits out a 429 Retry-After and still updates every copy', async () => {
    const id = await requestVia(h, 'U0ALICE', 'request prod-orders-db 1h INC-7 reindex');
    await postTo(h, 'C0DBACCESS', id);
    await h.app.notifications.idle();
    await new Promise((r) => setTimeout(r, 1_100)); // past the per-channel pacing, so only the 429 can delay
    h.slack.rateLimit('chat.update', 1, 1);
    const approvedAt = Date.now();
    await answerOf(h, 'U0CAROL', `approve ${id}`);
    const updates = await everyCopyUpdated(h, id, (u) => JSON.stringify(u.args.blocks).includes('(1/2: carol)'));
    expect(updates).toHaveLength(4);
    expect(Math.max(...updates.map((u) => u.at)) - approvedAt).toBeGreaterThanOrEqual(950);
    // Counted for Prometheus (stint_chat_rate_limited_total).
    expect((await h.app.metrics.chatRateLimited.get()).values).toEqual([expect.objectContaining({ labels: { platform: 'slack' }, value: 1 })]);
  });

  it('logs and audits a channel Slack does not know, once, and still serves the other copies', async () => {
    const id = await requestVia(h, 'U0ALICE', 'request legacy-db 1h INC-9 old invoices');
    await postTo(h, 'U0CAROL', id);
    await h.app.notifications.idle();
    await answerOf(h, 'U0CAROL', `approve ${id}`);
    await everyCopyUpdated(h, id, (u) => JSON.stringify(u.args.blocks).includes('Approved by carol'));
    const failures = (await h.app.store.readAudit(0n, 10_000)).filter((e) => e.action === 'notify.failed' && e.requestId === id);
    expect(failures).toEqual([expect.objectContaining({ actor: 'stint', data: { platform: 'slack', channel: 'C0NOSUCH', method: 'chat.postMessage', error: 'channel_not_found' } })]);
    expect(await h.app.readiness()).toMatchObject({ store: 'pglite' });
  });

  it('keeps a card with a 2000-character reason within Block Kit limits', async () => {
    const id = await requestVia(h, 'U0ALICE', `request prod-orders-db 1h ${'<b>&'.repeat(500)}`);
    const card = await postTo(h, 'C0DBACCESS', id);
    expect(checkBlocks(card.args.blocks)).toBeNull();
    expect(JSON.stringify(card.args.blocks)).not.toContain('<b>');
  });

  it('posts break-glass loudly to the security channel and DMs the security people', async () => {
    const answer = await answerOf(h, 'U0ALICE', 'breakglass prod-orders-db 30m orders are failing for every customer right now');
    const id = /`(jit_[0-9A-Z]{26})`/.exec(answer)![1]!;
    const channel = await postTo(h, 'C0SECURITY', id);
    expect(channel.args.text).toMatch(/^<!here> :rotating_light:/);
    const dm = await postTo(h, 'U0ERIN', id);
    expect(JSON.stringify(dm.args.blocks)).toContain('Break-glass: alice took this access without approval');
  });

  it('reminds a break-glass reviewer a day later with a fresh DM copy of the card, recorded like the others', async () => {
    const id = await requestVia(h, 'U0ALICE', 'breakglass prod-orders-db 30m INC-9 orders are down, paging everyone');
    await postTo(h, 'U0ERIN', id);
    const later = { now: () => new Date(Date.now() + 25 * 3_600_000) };
    expect(await remindReviews({ ...h.app.core, clock: later })).toContain(id);
    const reminder = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ERIN' && mentions(c, id) && String(c.args.text).includes('still waits for your review'));
    expect(buttonsOf(reminder)).toContainEqual(expect.objectContaining({ action_id: 'stint_review', value: id }));
    await expect.poll(async () => (await h.app.store.listChatMessages(id, 'slack')).filter((c) => c.recipientId === 'erin').length).toBe(2);
    // Nobody else is nudged, and not twice the same day.
    expect(await remindReviews({ ...h.app.core, clock: later })).not.toContain(id);
    expect(h.slack.callsOf('chat.postMessage').filter((c) => c.args.channel === 'U0ALICE' && String(c.args.text).includes('still waits for your review'))).toEqual([]);
  });

  it('gives an auto-approved requester their card at activation, and the expiry reminder with Extend and Done', async () => {
    const id = await requestVia(h, 'U0ALICE', 'request dev-api 30m debugging');
    await activateGrant(id, h.app.grants);
    const card = await postTo(h, 'U0ALICE', id).then(() => h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ALICE' && buttonsOf(c).some((b) => b.value === id)));
    expect(buttonsOf(card).map((b) => b.action_id)).toEqual(['stint_done', 'stint_extend']);
    const request = (await h.app.store.getRequest(id))!;
    await h.app.core.notifier.notify({ kind: 'grant.expiring', request, minutesLeft: 10 });
    const reminder = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ALICE' && String(c.args.text).includes('ends in'));
    expect(buttonsOf(reminder).map((b) => [b.action_id, b.value])).toEqual([
      ['stint_extend', id],
      ['stint_done', id],
    ]);
  });

  it('refreshes every copy on syncCards (what a refused click calls)', async () => {
    const id = await requestVia(h, 'U0ALICE', 'request prod-orders-db 1h INC-11 sync me');
    await postTo(h, 'C0DBACCESS', id);
    await h.app.notifications.idle();
    const before = h.slack.callsOf('chat.update').length;
    await h.app.slack!.syncCards(id);
    await h.app.notifications.idle();
    const copies = await h.app.store.listChatMessages(id, 'slack');
    expect(h.slack.callsOf('chat.update').slice(before).filter((u) => copies.some((c) => c.messageId === u.args.ts))).toHaveLength(copies.length);
  });
});

describe('Slack cards through the BullMQ notify queue', () => {
  let h: SlackHarness;
  beforeAll(async () => {
    h = await slackHarness({ yaml: YAML, env: sharedRedisEnv() });
    await h.app.startBackground({ workers: true });
  }, 60_000);
  afterAll(async () => h?.close());

  it('posts and updates the cards from notify jobs', async () => {
    const id = await requestVia(h, 'U0ALICE', 'request prod-orders-db 2h INC-5 queued cards');
    await postTo(h, 'C0DBACCESS', id);
    await postTo(h, 'U0DAVE', id);
    await answerOf(h, 'U0CAROL', `approve ${id}`);
    await everyCopyUpdated(h, id, (u) => JSON.stringify(u.args.blocks).includes('(1/2: carol)'), 15_000);
    // A job is counted when its delivery ends (after its last re-read), a moment after the update Slack saw.
    const deadline = Date.now() + 10_000;
    let jobs = '';
    while (!/stint_jobs_total\{queue="notify",outcome="sent"\} [1-9]/.test(jobs) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      jobs = await h.app.metrics.registry.getSingleMetricAsString('stint_jobs_total');
    }
    expect(jobs).toMatch(/stint_jobs_total\{queue="notify",outcome="sent"\} [1-9]/);
  }, 30_000);
});
