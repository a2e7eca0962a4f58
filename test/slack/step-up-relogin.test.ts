/**
 * Step-up by OIDC re-login in Slack (issue 12): with an OIDC issuer and no authenticator enrolled, `/jit request` and
 * the Approve button open a modal with a "Sign in again" link button instead of a code field; pressing the modal's
 * button before signing in redraws it with a warning, after the re-login it does the work. Real Bolt app over HTTP,
 * fake Slack Web API, a local OpenID Provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOidcIssuer } from '../fakes/oidc-issuer.ts';
import { followReLoginLink } from '../support/oidc-browser.ts';
import { slackHarness, SLACK_POLICY_YAML, type SlackHarness } from '../support/slack-harness.ts';

const PUBLIC = 'https://stint.example.test';
const YAML = SLACK_POLICY_YAML.replace('    channels: { slack: [C0DBACCESS] }\n', '    channels: { slack: [C0DBACCESS] }\n    stepUp: { requester: true, approvers: { riskAtLeast: 0 } }\n');
let h: SlackHarness;
let idp: FakeOidcIssuer;

beforeAll(async () => {
  idp = await new FakeOidcIssuer({ clientId: 'stint-slack', clientSecret: 'slack-oidc-secret', redirectUri: `${PUBLIC}/auth/oidc/callback` }).start();
  h = await slackHarness({
    yaml: YAML,
    env: { STINT_PUBLIC_URL: PUBLIC, STINT_OIDC_ISSUER: idp.url, STINT_OIDC_CLIENT_ID: 'stint-slack', STINT_OIDC_CLIENT_SECRET: 'slack-oidc-secret' },
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await idp?.stop();
});

/** The "Sign in again" button of a step-up modal. */
function signInButton(view: { blocks: Array<Record<string, any>> }): Record<string, any> | undefined {
  return view.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : [])).find((e: Record<string, any>) => e.action_id === 'stint_step_up_sign_in');
}

describe('step-up by re-login in Slack', () => {
  let requestId = '';

  it('opens a modal with a Sign in again button and no code field for /jit request, and creates the request after the re-login', async () => {
    await h.command('U0ALICE', 'request prod-orders-db 1h INC-42 disk full');
    const opened = await h.slack.waitFor('views.open', (c) => c.args.view?.callback_id === 'stint_step_up_modal');
    const view = opened.args.view;
    const button = signInButton(view);
    expect(button).toMatchObject({ type: 'button', text: { text: 'Sign in again' }, url: expect.stringMatching(/^https:\/\/stint\.example\.test\/auth\/step-up\//) });
    expect(view.blocks.some((b: Record<string, any>) => b.type === 'input')).toBe(false);
    // Slack reports the link button's click: it is acknowledged, nothing else.
    expect((await h.blockAction('U0ALICE', 'stint_step_up_sign_in', '', { home: true })).status).toBe(200);

    // Pressing the modal's button before signing in: the modal is redrawn with a warning, nothing is created.
    const early = (await h.viewSubmission('U0ALICE', 'stint_step_up_modal', {}, view.private_metadata)).json();
    expect(early).toMatchObject({ response_action: 'update', view: { callback_id: 'stint_step_up_modal' } });
    expect(JSON.stringify(early.view.blocks)).toContain('Not confirmed yet');
    expect(signInButton(early.view)?.url).toBe(button!.url);
    expect(await h.app.store.listRequests({})).toEqual([]);

    idp.signInAs = 'alice@example.com';
    const visit = await followReLoginLink(h.app, button!.url);
    expect(visit.callback?.statusCode).toBe(200);
    const done = await h.viewSubmission('U0ALICE', 'stint_step_up_modal', {}, view.private_metadata);
    expect([done.status, done.body]).toEqual([200, '']);
    const [request] = await h.app.store.listRequests({});
    expect(request).toMatchObject({ requesterId: 'alice', status: 'PENDING' });
    requestId = request!.id;
    const events = await h.app.store.readAudit(0n, 200);
    expect(events.find((e) => e.action === 'request.created')?.data.stepUp).toBe('oidc');
  });

  it('asks an approver to sign in again from the Approve button, and counts the approval after it', async () => {
    const click = await h.blockAction('U0CAROL', 'stint_approve', requestId);
    const opened = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === click.triggerId);
    expect(opened.args.view).toMatchObject({ callback_id: 'stint_step_up_modal', submit: { text: 'Approve' } });
    idp.signInAs = 'carol@example.com';
    await followReLoginLink(h.app, signInButton(opened.args.view)!.url);
    const approved = await h.viewSubmission('U0CAROL', 'stint_step_up_modal', {}, opened.args.view.private_metadata);
    expect(approved.body).toBe('');
    expect(await h.app.store.listDecisions(requestId)).toEqual([expect.objectContaining({ approverId: 'carol', verdict: 'approve' })]);
  });
});
