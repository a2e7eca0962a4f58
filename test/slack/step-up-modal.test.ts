/**
 * Step-up in Slack end to end (issue 12): a signed `/jit request` on a workflow that asks for a second factor opens a
 * modal; its submission with the TOTP code (computed here from the enrolled seed) creates the request; an approver
 * of the risky request is asked the same way from the Approve button. Real Bolt app over HTTP, fake Slack Web API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totpCode, totpStep } from '../../src/core/totp.ts';
import { plainText, selected, slackHarness, SLACK_POLICY_YAML, type SlackHarness } from '../support/slack-harness.ts';
import { enrollTotpInStore } from '../support/totp-enrollment.ts';

const KEY = Buffer.alloc(32, 5);
const YAML = SLACK_POLICY_YAML.replace('    eligible: [group:sre]\n    approvers: [group:dba]', '    eligible: [group:sre, group:dba]\n    approvers: [group:dba]').replace('    channels: { slack: [C0DBACCESS] }\n', '    channels: { slack: [C0DBACCESS] }\n    stepUp: { requester: true, approvers: { riskAtLeast: 0 } }\n');
const seeds = new Map<string, Buffer>();
let h: SlackHarness;

async function enrolled(who: string): Promise<void> {
  const seed = Buffer.from(`seed-of-${who}-0123456789`).subarray(0, 20);
  seeds.set(who, seed);
  await enrollTotpInStore(h.app.store, who, seed, KEY);
}
/** The code of the current step (or a later one: a step already used is refused as a replay). */
const code = (who: string, ahead = 0) => totpCode(seeds.get(who)!, totpStep(new Date()) + ahead);

beforeAll(async () => {
  h = await slackHarness({ yaml: YAML, env: { STINT_SECRET_KEY: KEY.toString('hex') } });
  await enrolled('alice');
  await enrolled('carol');
}, 60_000);
afterAll(async () => h?.close());

describe('step-up in Slack', () => {
  let requestId = '';

  it('opens a code modal for /jit request, refuses a wrong code under the field, and creates the request with the right one', async () => {
    const ack = await h.command('U0ALICE', 'request prod-orders-db 1h INC-42 disk full');
    expect(ack.status).toBe(200);
    const opened = await h.slack.waitFor('views.open', (c) => c.args.view?.callback_id === 'stint_step_up_modal');
    const view = opened.args.view;
    expect(JSON.parse(view.private_metadata)).toEqual({ kind: 'command', text: 'request prod-orders-db 1h INC-42 disk full' });
    expect(await h.app.store.listRequests({})).toEqual([]);

    const wrong = code('alice') === '000000' ? '111111' : '000000';
    const refused = await h.viewSubmission('U0ALICE', 'stint_step_up_modal', { mfa_code: { mfa_code: plainText(wrong) } }, view.private_metadata);
    expect(refused.json()).toMatchObject({ response_action: 'errors', errors: { mfa_code: expect.stringMatching(/not valid/) } });

    const accepted = await h.viewSubmission('U0ALICE', 'stint_step_up_modal', { mfa_code: { mfa_code: plainText(code('alice')) } }, view.private_metadata);
    expect([accepted.status, accepted.body]).toEqual([200, '']);
    const [request] = await h.app.store.listRequests({});
    expect(request).toMatchObject({ requesterId: 'alice', status: 'PENDING', scopes: ['prod-orders-db'] });
    requestId = request!.id;
    const events = await h.app.store.readAudit(0n, 100);
    expect(events.find((e) => e.action === 'request.created')?.data.stepUp).toBe('totp');
    expect(events.filter((e) => e.action === 'mfa.failed')).toHaveLength(1);
  });

  it('asks an approver for their code from the Approve button before the approval counts', async () => {
    const click = await h.blockAction('U0CAROL', 'stint_approve', requestId);
    const opened = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === click.triggerId);
    expect(opened.args.view).toMatchObject({ callback_id: 'stint_step_up_modal', private_metadata: JSON.stringify({ kind: 'approve', requestId }) });
    expect(await h.app.store.listDecisions(requestId)).toEqual([]);
    const approved = await h.viewSubmission('U0CAROL', 'stint_step_up_modal', { mfa_code: { mfa_code: plainText(code('carol')) } }, opened.args.view.private_metadata);
    expect(approved.body).toBe('');
    expect(await h.app.store.listDecisions(requestId)).toEqual([expect.objectContaining({ approverId: 'carol', verdict: 'approve', via: 'slack' })]);
  });

  it('pushes the code modal over the request form, and its submission creates the request with the form\'s fields and closes both', async () => {
    const values = {
      resource: { stint_resource: selected('prod-orders-db', 'external_select') },
      duration: { duration: selected('1h') },
      duration_custom: { duration_custom: plainText(null) },
      reason: { reason: plainText('replica lag') },
      ticket: { ticket: plainText('INC-77') },
    };
    const pushed = await h.viewSubmission('U0ALICE', 'stint_request_modal', values);
    const body = pushed.json();
    expect(body).toMatchObject({ response_action: 'push', view: { callback_id: 'stint_step_up_modal' } });
    expect(JSON.parse(body.view.private_metadata)).toEqual({ kind: 'form', resource: 'prod-orders-db', duration: '1h', reason: 'replica lag', ticket: 'INC-77' });
    const before = (await h.app.store.listRequests({})).length;
    const done = await h.viewSubmission('U0ALICE', 'stint_step_up_modal', { mfa_code: { mfa_code: plainText(code('alice', 1)) } }, body.view.private_metadata);
    expect(done.json()).toEqual({ response_action: 'clear' });
    const all = await h.app.store.listRequests({});
    expect(all).toHaveLength(before + 1);
    expect(all.find((r) => r.reason === 'replica lag')).toMatchObject({ ticket: 'INC-77', status: 'PENDING' });
  });

  it('tells someone not enrolled how to enroll instead of opening a modal', async () => {
    const ack = await h.command('U0DAVE', 'request prod-orders-db 1h INC-43 check');
    expect(ack.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    const reply = h.slack.responses.find((r) => r.id === ack.responseUrl.split('/').pop());
    expect(reply?.body.text).toMatch(/stint mfa enroll/);
  });
});
