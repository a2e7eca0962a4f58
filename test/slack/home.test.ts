/**
 * App Home: published on app_home_opened with my requests, my active grants (Done/Extend) and what waits for me
 * (Approve/Deny), re-published after a button on it is used; always within Block Kit's limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { createRequest } from '../../src/core/create-request.ts';
import type { RequestView } from '../../src/core/present-request.ts';
import { slackActor } from '../../src/slack/commands.ts';
import { HOME_LIMITS, homeView } from '../../src/slack/home.ts';
import { checkBlocks, type SlackCall } from '../fakes/slack-api.ts';
import { slackHarness, type SlackHarness } from '../support/slack-harness.ts';

let h: SlackHarness;
beforeAll(async () => {
  h = await slackHarness();
}, 60_000);
afterAll(async () => h?.close());

async function requestAs(personId: string, scope: string, duration: string): Promise<string> {
  const { request } = await createRequest(slackActor(personId), { identityId: personId, scopes: [scope], duration, reason: 'INC-8 investigating' }, h.app.core);
  return request.id;
}

type Block = { type: string; text?: { text: string }; elements?: Array<{ action_id?: string; value?: string; text?: { text: string } }> };
const blocksOf = (call: SlackCall) => call.args.view.blocks as Block[];
const buttons = (call: SlackCall) => blocksOf(call).flatMap((b) => (b.type === 'actions' ? b.elements ?? [] : []));
const headers = (call: SlackCall) => blocksOf(call).filter((b) => b.type === 'header').map((b) => b.text!.text);
const publishedFor = (userId: string, match: (call: SlackCall) => boolean = () => true) =>
  h.slack.waitFor('views.publish', (c) => c.args.user_id === userId && match(c));

describe('App Home', () => {
  it('publishes my requests, my active grants with Done and Extend, and what waits for me with Approve and Deny', async () => {
    const pending = await requestAs('alice', 'prod-orders-db', '1h');
    const active = await requestAs('alice', 'dev-api', '30m');
    expect((await activateGrant(active, h.app.grants)).status).toBe('ACTIVE');

    const opened = await h.event({ type: 'app_home_opened', user: 'U0ALICE', channel: 'DU0ALICE', tab: 'home' });
    expect(opened.status).toBe(200);
    const alice = await publishedFor('U0ALICE');
    expect(alice.args.view.type).toBe('home');
    expect(headers(alice)).toEqual(['Your requests', 'Your active grants', 'Waiting for you']);
    expect(JSON.stringify(blocksOf(alice))).toContain(`\`${pending}\` *PENDING*`);
    expect(buttons(alice).map((b) => [b.action_id?.replace(/_\d+$/, ''), b.value])).toEqual([
      ['stint_done_home', active],
      ['stint_extend_home', active],
    ]);

    await h.event({ type: 'app_home_opened', user: 'U0CAROL', channel: 'DU0CAROL', tab: 'home' });
    const carol = await publishedFor('U0CAROL');
    const decide = buttons(carol).filter((b) => b.value === pending);
    expect(decide.map((b) => b.action_id)).toEqual([expect.stringMatching(/^stint_approve_home_\d+$/), expect.stringMatching(/^stint_deny_home_\d+$/)]);
  });

  it('re-publishes the Home tab after a button on it is used, topped by what the click did', async () => {
    const pending = await requestAs('alice', 'prod-orders-db', '2h');
    await h.blockAction('U0DAVE', 'stint_approve_home_7', pending, { home: true });
    const dave = await publishedFor('U0DAVE', (c) => JSON.stringify(c.args.view).includes(`Approved: \`${pending}\``));
    expect(blocksOf(dave)[0]!.text!.text).toMatch(/^Approved: `jit_.*1\/2 approvals/);
    expect(await h.app.store.listDecisions(pending)).toEqual([expect.objectContaining({ approverId: 'dave', verdict: 'approve' })]);
    // Answered on the Home tab, not by an ephemeral message (a Home click has no channel).
    expect(h.slack.callsOf('chat.postEphemeral').filter((c) => c.args.user === 'U0DAVE')).toEqual([]);
  });

  it('shows an unknown Slack user the admin step that lets them in', async () => {
    await h.event({ type: 'app_home_opened', user: 'U0STRANGER', channel: 'DU0STRANGER', tab: 'home' });
    const stranger = await publishedFor('U0STRANGER');
    expect(JSON.stringify(blocksOf(stranger))).toContain('add `slack: U0STRANGER`');
  });

  it('stays within Block Kit limits with every section full and long reasons', () => {
    const view = (i: number, status: RequestView['status']): RequestView => ({
      id: `jit_${String(i).padStart(26, '0')}`,
      status,
      identityId: 'alice',
      scopes: ['prod-orders-db'],
      reason: 'x'.repeat(2000),
      ticket: null,
      ticketTitle: null,
      duration: 3600,
      requestedAt: '2026-11-23T10:00:00.000Z',
      decidedAt: null,
      activatedAt: null,
      expiresAt: '2026-11-23T11:00:00.000Z',
      revokedAt: null,
      revokeCause: null,
      statusReason: null,
      requesterKind: 'person',
      agentReasoning: null,
      humanOnly: false,
      narrowing: null,
      context: null,
      launch: false,
      breakGlass: false,
      riskScore: 0,
      riskSignals: [],
      approvers: [],
      required: 2,
      autoApproved: false,
      decidedBy: null,
      review: null,
    });
    const many = (n: number, status: RequestView['status']) => Array.from({ length: n }, (_, i) => view(i, status));
    const home = homeView({
      mine: many(HOME_LIMITS.mine, 'PENDING'),
      active: many(HOME_LIMITS.active, 'ACTIVE'),
      awaiting: many(HOME_LIMITS.awaiting, 'PENDING'),
      moreAwaiting: true,
      notice: 'y'.repeat(5000),
    });
    expect(checkBlocks(home.blocks)).toBeNull();
    expect(home.blocks.length).toBeLessThanOrEqual(50);
  });
});
