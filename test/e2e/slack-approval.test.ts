/**
 * The Slack story end to end, as DESIGN.md section 11 tells it: a signed `/jit request` → the card in the
 * approval channel and in each approver's DM → the first approver clicks Approve → every copy shows 1/2 → the
 * second approver clicks → the PostgreSQL role is really granted (queue worker) → at expiry it is really
 * revoked (revoke timer) and every copy says so. Real Bolt over signed HTTP, the fake Slack Web API, the real
 * postgres provider against a real target database, BullMQ on Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresProvider } from '../../src/providers/postgres/postgres-provider.ts';
import type { SlackCall } from '../fakes/slack-api.ts';
import { openPostgresTarget, type PostgresTarget } from '../providers/postgres-target.ts';
import { slackHarness, type SlackHarness } from '../support/slack-harness.ts';
import { sharedRedisEnv } from '../support/test-redis.ts';

let target: PostgresTarget;
let h: SlackHarness;
let role: string;
let account: string;

beforeAll(async () => {
  target = await openPostgresTarget();
  role = await target.createRole('orders_rw');
  account = await target.createRole('alice', 'LOGIN');
  const yaml = `version: 1
people:
  - { id: alice, email: alice@example.com, slack: U0ALICE, groups: [sre], accounts: { postgres: ${account} } }
  - { id: carol, email: carol@example.com, slack: U0CAROL, groups: [dba] }
  - { id: dave, email: dave@example.com, slack: U0DAVE, groups: [dba] }
timezone: UTC
resources:
  - id: orders-db
    provider: { type: postgres, connection: "env:STINT_TEST_TARGET", role: ${role}, mode: membership }
    maxDuration: 4h
    minDuration: 1s
    workflow: two-dba
workflows:
  two-dba: { eligible: [group:sre], approvers: [group:dba], required: 2, channels: { slack: [C0DBACCESS] } }
`;
  h = await slackHarness({ yaml, env: { STINT_TEST_TARGET: target.database.url, ...sharedRedisEnv() }, providers: [createPostgresProvider({ env: { STINT_TEST_TARGET: target.database.url } })] });
  await h.app.startBackground({ workers: true });
}, 60_000);

afterAll(async () => {
  await h?.close();
  await target?.close();
});

const isMember = async () =>
  ((await target.admin.query('SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE r.rolname = $1 AND u.rolname = $2', [role, account])).rowCount ?? 0) > 0;
const blocksText = (call: SlackCall) => JSON.stringify(call.args.blocks ?? []);

async function everyCopy(id: string, match: (call: SlackCall) => boolean, timeoutMs = 20_000): Promise<void> {
  const copies = await h.app.store.listChatMessages(id, 'slack');
  expect(copies.map((c) => c.channel).sort()).toEqual(['C0DBACCESS', 'DU0ALICE', 'DU0CAROL', 'DU0DAVE']);
  await Promise.all(copies.map((c) => h.slack.waitFor('chat.update', (u) => u.args.channel === c.channel && u.args.ts === c.messageId && match(u), timeoutMs)));
}

describe('Slack: request, two approvals by button, a real grant, expiry', () => {
  let id: string;
  let channelTs: string;

  it('posts the card to the approval channel and to each approver by DM', async () => {
    const sent = await h.command('U0ALICE', 'request orders-db 6s INC-42 stuck orders');
    expect(sent.status).toBe(200);
    const answer = await h.slack.waitForResponse((b) => String(b.text).startsWith('Requested'));
    id = /`(jit_[0-9A-Z]{26})`/.exec(answer.text)![1]!;
    const card = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0DBACCESS' && blocksText(c).includes(id));
    expect(blocksText(card)).toContain('stint_approve');
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'U0CAROL' && blocksText(c).includes(id));
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'U0DAVE' && blocksText(c).includes(id));
    channelTs = (await h.app.store.listChatMessages(id, 'slack')).find((c) => c.channel === 'C0DBACCESS')!.messageId;
  });

  it('refuses the requester clicking Approve on their own card, and counts nothing', async () => {
    const click = await h.blockAction('U0ALICE', 'stint_approve', id, { channel: 'C0DBACCESS', messageTs: channelTs });
    expect(click.status).toBe(200);
    const refusal = await h.slack.waitFor('chat.postEphemeral', (c) => c.args.user === 'U0ALICE' && String(c.args.text).includes('SELF_APPROVAL'));
    expect(refusal.args.channel).toBe('C0DBACCESS');
    expect((await h.app.store.listDecisions(id)).length).toBe(0);
  });

  it('shows 1/2 on every copy after the first approver clicks', async () => {
    await h.blockAction('U0CAROL', 'stint_approve', id, { channel: 'C0DBACCESS', messageTs: channelTs });
    await everyCopy(id, (u) => blocksText(u).includes('(1/2: carol)'));
  });

  it('grants the PostgreSQL role for real after the second approval, and the cards say until when', async () => {
    await h.blockAction('U0DAVE', 'stint_approve', id, { channel: 'DU0DAVE' });
    await everyCopy(id, (u) => /active until/i.test(blocksText(u)));
    expect(await isMember()).toBe(true);
    expect((await h.app.store.getRequest(id))!.status).toBe('ACTIVE');
  }, 30_000);

  it('answers a click after the decision without counting it twice', async () => {
    await h.blockAction('U0CAROL', 'stint_approve', id, { channel: 'C0DBACCESS', messageTs: channelTs });
    await h.slack.waitFor('chat.postEphemeral', (c) => c.args.user === 'U0CAROL');
    expect((await h.app.store.listDecisions(id)).filter((d) => d.approverId === 'carol')).toHaveLength(1);
  });

  it('revokes the role at expiry and every copy shows it revoked', async () => {
    await everyCopy(id, (u) => /revoked/i.test(blocksText(u)), 30_000);
    expect(await isMember()).toBe(false);
    expect(await h.app.store.getRequest(id)).toMatchObject({ status: 'REVOKED', revokeCause: 'expired' });
  }, 40_000);
});
