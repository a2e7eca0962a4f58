/**
 * Buttons on approval cards, through signed block_actions payloads and the real Bolt app: authorised at click time
 * by the use cases, answered only to the clicker, counted once; Deny and Extend through their modals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { createRequest } from '../../src/core/create-request.ts';
import { slackActor } from '../../src/slack/commands.ts';
import type { SlackCall } from '../fakes/slack-api.ts';
import { plainText, selected, slackHarness, type SlackHarness } from '../support/slack-harness.ts';

let h: SlackHarness;
beforeAll(async () => {
  h = await slackHarness();
}, 60_000);
afterAll(async () => h?.close());

async function requestAs(personId: string, scope: string, duration = '1h'): Promise<string> {
  const { request } = await createRequest(slackActor(personId), { identityId: personId, scopes: [scope], duration, reason: 'INC-42 slow queries' }, h.app.core);
  return request.id;
}

async function activeGrant(personId: string, scope = 'dev-api', duration = '30m'): Promise<string> {
  const id = await requestAs(personId, scope, duration);
  const { status } = await activateGrant(id, h.app.grants);
  if (status !== 'ACTIVE') throw new Error(`${id} did not activate: ${status}`);
  return id;
}

const ephemeralTo = (userId: string, requestId: string): Promise<SlackCall> =>
  h.slack.waitFor('chat.postEphemeral', (c) => c.args.user === userId && String(c.args.text).includes(requestId));

describe('approve button', () => {
  it('acks at once, counts the approval once, and tells a second click it was already counted', async () => {
    const id = await requestAs('alice', 'prod-orders-db');
    const first = await h.blockAction('U0CAROL', 'stint_approve', id);
    expect(first.status).toBe(200);
    expect(first.body).toBe('');
    const approved = await ephemeralTo('U0CAROL', id);
    expect(approved.args).toMatchObject({ channel: 'C0DBACCESS', user: 'U0CAROL' });
    expect(approved.args.text).toMatch(/^Approved: .*1\/2 approvals/);

    await h.blockAction('U0CAROL', 'stint_approve', id);
    await h.slack.waitFor('chat.postEphemeral', (c) => c.args.user === 'U0CAROL' && /already approved/.test(c.args.text) && c.args.text.includes(id));
    expect(await h.app.store.listDecisions(id)).toHaveLength(1);
    expect((await h.app.store.getRequest(id))?.status).toBe('PENDING');
  });

  it('refuses the requester approving their own request, explains it to them alone, and counts nothing', async () => {
    const id = await requestAs('alice', 'prod-orders-db');
    await h.blockAction('U0ALICE', 'stint_approve', id);
    const refused = await h.slack.waitFor('chat.postEphemeral', (c) => c.args.user === 'U0ALICE' && String(c.args.text).includes('SELF_APPROVAL'));
    expect(refused.args).toMatchObject({ channel: 'C0DBACCESS', text: expect.stringContaining('another approver must') });
    expect(await h.app.store.listDecisions(id)).toHaveLength(0);
  });

  it('refuses someone who is not an approver of the workflow at click time', async () => {
    const id = await requestAs('alice', 'prod-orders-db');
    await h.blockAction('U0ERIN', 'stint_approve', id);
    await h.slack.waitFor('chat.postEphemeral', (c) => c.args.user === 'U0ERIN' && String(c.args.text).includes('NOT_ELIGIBLE'));
    expect(await h.app.store.listDecisions(id)).toHaveLength(0);
  });

  it('tells an unknown Slack user how to get in, and decides nothing', async () => {
    const id = await requestAs('alice', 'prod-orders-db');
    await h.blockAction('U0STRANGER', 'stint_approve', id);
    await h.slack.waitFor('chat.postEphemeral', (c) => c.args.user === 'U0STRANGER' && String(c.args.text).includes('add `slack: U0STRANGER`'));
    expect(await h.app.store.listDecisions(id)).toHaveLength(0);
  });

  it('answers through the response_url when the ephemeral post cannot reach the channel', async () => {
    const id = await requestAs('alice', 'prod-orders-db');
    const click = await h.blockAction('U0CAROL', 'stint_approve', id, { channel: 'C0GONE' });
    const answer = await h.slack.waitForResponse((b) => String(b.text).includes(id));
    expect(answer).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(h.slack.responses.find((r) => r.body === answer && click.responseUrl?.endsWith(r.id))).toBeDefined();
  });
});

describe('deny button', () => {
  it('opens a modal with the click trigger id; an empty reason is refused in the modal; a reason denies', async () => {
    const id = await requestAs('alice', 'prod-orders-db');
    const click = await h.blockAction('U0DAVE', 'stint_deny', id);
    expect(click.body).toBe('');
    const opened = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === click.triggerId);
    expect(opened.args.view).toMatchObject({ type: 'modal', callback_id: 'stint_deny_modal', private_metadata: id });

    const empty = await h.viewSubmission('U0DAVE', 'stint_deny_modal', { reason: { reason: plainText('  ') } }, id);
    expect(empty.status).toBe(200);
    expect(empty.json()).toMatchObject({ response_action: 'errors', errors: { reason: expect.stringContaining('Say why') } });
    expect(await h.app.store.listDecisions(id)).toHaveLength(0);

    const denied = await h.viewSubmission('U0DAVE', 'stint_deny_modal', { reason: { reason: plainText('Use the read replica instead') } }, id);
    expect(denied.status).toBe(200);
    expect(denied.body).toBe('');
    expect((await h.app.store.getRequest(id))?.status).toBe('DENIED');
    expect(await h.app.store.listDecisions(id)).toEqual([expect.objectContaining({ approverId: 'dave', verdict: 'deny', comment: 'Use the read replica instead', via: 'slack' })]);
  });

  it('replaces the modal with the explanation when the use case refuses (already decided by someone else)', async () => {
    const id = await requestAs('alice', 'prod-orders-db');
    await h.viewSubmission('U0DAVE', 'stint_deny_modal', { reason: { reason: plainText('Not during the freeze') } }, id);
    const late = await h.viewSubmission('U0CAROL', 'stint_deny_modal', { reason: { reason: plainText('Agree, not now') } }, id);
    expect(late.json()).toMatchObject({ response_action: 'update', view: { type: 'modal' } });
    expect(JSON.stringify(late.json().view.blocks)).toContain('NOT_PENDING');
    expect(await h.app.store.listDecisions(id)).toHaveLength(1);
  });
});

describe('done and extend buttons', () => {
  it('ends the grant on Done and tells the requester', async () => {
    const id = await activeGrant('alice');
    await h.blockAction('U0ALICE', 'stint_done', id);
    const told = await ephemeralTo('U0ALICE', id);
    expect(told.args.text).toMatch(/^Done, access removed: .*REVOKED/);
    expect((await h.app.store.getRequest(id))?.revokeCause).toBe('done');
  });

  it('refuses Done from someone other than the requester', async () => {
    const id = await activeGrant('alice');
    await h.blockAction('U0ERIN', 'stint_done', id);
    await h.slack.waitFor('chat.postEphemeral', (c) => c.args.user === 'U0ERIN' && String(c.args.text).includes('FORBIDDEN'));
    expect((await h.app.store.getRequest(id))?.status).toBe('ACTIVE');
  });

  it('opens the extend modal, shows the use case refusals under the duration field, and extends', async () => {
    const id = await activeGrant('alice');
    const click = await h.blockAction('U0ALICE', 'stint_extend', id);
    const opened = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === click.triggerId);
    expect(opened.args.view).toMatchObject({ callback_id: 'stint_extend_modal', private_metadata: id });
    const before = (await h.app.store.getRequest(id))!.expiresAt!;

    const none = await h.viewSubmission('U0ALICE', 'stint_extend_modal', { duration: { duration: selected(null) } }, id);
    expect(none.json()).toMatchObject({ response_action: 'errors', errors: { duration: expect.any(String) } });
    const tooLong = await h.viewSubmission('U0ALICE', 'stint_extend_modal', { duration_custom: { duration_custom: plainText('10h') } }, id);
    expect(tooLong.json()).toMatchObject({ response_action: 'errors', errors: { duration_custom: expect.stringContaining('maxDuration') } });
    const needsApprover = await h.viewSubmission('U0ALICE', 'stint_extend_modal', { duration: { duration: selected('4h') } }, id);
    expect(needsApprover.json()).toMatchObject({ response_action: 'errors', errors: { duration: expect.stringContaining('not auto-approved') } });

    const ok = await h.viewSubmission('U0ALICE', 'stint_extend_modal', { duration: { duration: selected('30m') } }, id);
    expect(ok.body).toBe('');
    expect((await h.app.store.getRequest(id))!.expiresAt!.getTime()).toBe(before.getTime() + 30 * 60_000);
    const dm = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'U0ALICE' && String(c.args.text).includes(id));
    expect(dm.args.text).toMatch(/^Extended by 30m: /);
  });
});
