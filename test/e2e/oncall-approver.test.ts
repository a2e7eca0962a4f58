/**
 * An approver who is on call in PagerDuty (`approvers: [oncall:dba-pager]`, the schedule kept there), end to end
 * through the real app and Bolt against the Slack and PagerDuty fakes: the person PagerDuty has on call gets the
 * card by DM with its buttons and approves with a click; someone off call who clicks is refused, alone, and
 * nothing is counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequest } from '../../src/core/create-request.ts';
import { slackActor } from '../../src/slack/commands.ts';
import { startFakePagerDuty, type FakePagerDuty } from '../fakes/pagerduty.ts';
import { SLACK_POLICY_YAML, slackHarness, type SlackHarness } from '../support/slack-harness.ts';

const YAML = SLACK_POLICY_YAML.replace('timezone: UTC\n', 'timezone: UTC\noncall:\n  dba-pager: { pagerduty: { scheduleId: PDBA01 } }\n').replace(
  '    approvers: [group:dba]\n    required: 2\n',
  '    approvers: [oncall:dba-pager]\n    required: 1\n',
);

let pd: FakePagerDuty;
let h: SlackHarness;
beforeAll(async () => {
  pd = await startFakePagerDuty();
  pd.setOnCall('PDBA01', [{ email: 'dave@example.com' }]);
  h = await slackHarness({ yaml: YAML, env: { PAGERDUTY_TOKEN: pd.token, PAGERDUTY_API_URL: pd.url } });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await pd?.close();
});

describe('an approver from a PagerDuty rotation', () => {
  it('gets the card with buttons by DM and approves with a click; an approver off call is refused and nothing is counted', async () => {
    const { request } = await createRequest(slackActor('alice'), { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-9 replica lag' }, h.app.core);
    const dm = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'U0DAVE' && JSON.stringify(c.args.blocks).includes(request.id));
    const buttons = (dm.args.blocks as any[]).flatMap((b) => (b.type === 'actions' ? b.elements.map((e: any) => e.action_id) : []));
    expect(buttons).toEqual(expect.arrayContaining(['stint_approve', 'stint_deny']));
    expect(h.slack.calls.some((c) => c.method === 'chat.postMessage' && c.args.channel === 'U0CAROL')).toBe(false);

    await h.blockAction('U0CAROL', 'stint_approve', request.id);
    await h.slack.waitFor('chat.postEphemeral', (c) => c.args.user === 'U0CAROL' && String(c.args.text).includes(request.id));
    expect(await h.app.store.listDecisions(request.id)).toHaveLength(0);

    await h.blockAction('U0DAVE', 'stint_approve', request.id);
    await h.slack.waitFor('chat.postEphemeral', (c) => c.args.user === 'U0DAVE' && /^Approved/.test(String(c.args.text)));
    expect((await h.app.store.getRequest(request.id))?.decidedBy).toBe('dave');
    // Stint asked PagerDuty who is on call, with its REST token.
    expect(pd.calls.some((c) => c.method === 'GET' && c.path === '/oncalls')).toBe(true);
  });
});
