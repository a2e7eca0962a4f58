/** `/jit` over signed HTTP, the way Slack sends it: ack at once, the answer by response_url, refusals explained. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackHarness, type SlackHarness } from '../support/slack-harness.ts';

let h: SlackHarness;
beforeAll(async () => {
  h = await slackHarness();
}, 60_000);
afterAll(async () => h?.close());

const answerTo = (responseUrl: string) => h.slack.waitForResponse((b) => typeof b.text === 'string' && h.slack.responses.some((r) => r.body === b && responseUrl.endsWith(r.id)));

describe('/jit commands', () => {
  it('acks a request at once with an empty 200 and answers by response_url, ephemerally', async () => {
    const sent = await h.command('U0ALICE', 'request prod-orders-db 2h INC-1234 stuck orders');
    expect(sent.status).toBe(200);
    expect(sent.body).toBe('');
    const answer = await answerTo(sent.responseUrl);
    expect(answer).toMatchObject({ response_type: 'ephemeral' });
    expect(answer.text).toMatch(/^Requested: `jit_[0-9A-Z]{26}` \*PENDING\* · prod-orders-db for 2h — 0\/2 approvals/);
  });

  it('approves by command, counts the approval, and refuses the requester approving their own', async () => {
    const created = await answerTo((await h.command('U0ALICE', 'request prod-orders-db 1h INC-7 reindex')).responseUrl);
    const id = /`(jit_[0-9A-Z]{26})`/.exec(created.text)![1]!;
    const self = await answerTo((await h.command('U0ALICE', `approve ${id}`)).responseUrl);
    expect(self.text).toContain('SELF_APPROVAL');
    const first = await answerTo((await h.command('U0CAROL', `approve ${id} looks fine`)).responseUrl);
    expect(first.text).toMatch(/^Approved: .*1\/2 approvals/);
    const again = await answerTo((await h.command('U0CAROL', `approve ${id}`)).responseUrl);
    expect(again.text).toMatch(/^You had already decided/);
  });

  it('answers a usage error in the ack itself, naming what was wrong', async () => {
    const sent = await h.command('U0ALICE', 'request prod-orders-db soon');
    expect(sent.status).toBe(200);
    expect(sent.json()).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('`soon` is not a duration') });
  });

  it('tells an unknown Slack user the admin step that lets them in', async () => {
    const answer = await answerTo((await h.command('U0STRANGER', 'list')).responseUrl);
    expect(answer.text).toContain('add `slack: U0STRANGER`');
  });

  it('binds a Slack user by verified email in an allowed domain, and audits the binding', async () => {
    const answer = await answerTo((await h.command('U0BOB', 'list')).responseUrl);
    expect(answer.text).toMatch(/no requests yet|Your requests/);
    const bound = (await h.app.store.readAudit(0n, 1000)).filter((e) => e.action === 'identity.bound');
    expect(bound).toEqual([expect.objectContaining({ actor: 'bob', data: { platform: 'slack', slackUserId: 'U0BOB', email: 'bob@example.com' } })]);
  });

  it('lists what waits for an approver', async () => {
    const answer = await answerTo((await h.command('U0DAVE', 'pending')).responseUrl);
    expect(answer.text).toMatch(/^\*Waiting for you\*\n• `jit_/);
  });

  it('auto-approves what the policy auto-approves', async () => {
    const answer = await answerTo((await h.command('U0ALICE', 'request dev-api 30m debugging')).responseUrl);
    expect(answer.text).toMatch(/^Approved: `jit_[0-9A-Z]{26}` \*APPROVED\* · dev-api for 30m/);
  });
});
