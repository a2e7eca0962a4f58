/**
 * The card buttons as `adaptiveCard/action` invokes (src/teams/card-actions.ts): each answers HTTP 200 with the
 * card as the clicker should now see it — a refusal included, with a line saying why, never a 4xx — and calls the
 * same use case as Slack and REST. The revealed password travels in the invoke response only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { createRequest } from '../../src/core/create-request.ts';
import { teamsActor } from '../../src/teams/messages.ts';
import { createFakePostgresProvider, type FakePostgresProvider } from '../fakes/fake-postgres-provider.ts';
import { assertValidAdaptiveCard } from '../support/adaptive-card-schema.ts';
import { ALICE_AAD, CAROL_AAD, DAVE_AAD, TEAM_CHANNEL, teamsHarness, type TeamsHarness } from '../support/teams-harness.ts';

const YAML = `version: 1
identity: { emailDomains: [example.com] }
people:
  - { id: alice, email: alice@example.com, teams: ${ALICE_AAD}, groups: [sre], accounts: { postgres: alice } }
  - { id: carol, email: carol@example.com, teams: ${CAROL_AAD}, groups: [dba] }
  - { id: dave, email: dave@example.com, groups: [dba] }
  - { id: erin, email: erin@example.com, groups: [sre] }
timezone: UTC
resources:
  - id: prod-orders-db
    provider: { type: postgres, connection: "env:ORDERS_DB_ADMIN_URL", role: orders_rw, mode: ephemeral }
    maxDuration: 8h
    workflow: two-dba
workflows:
  two-dba: { eligible: [group:sre], approvers: [group:dba], required: 2, channels: { teams: ["${TEAM_CHANNEL}"] } }
`;

let h: TeamsHarness;
let provider: FakePostgresProvider;
beforeAll(async () => {
  provider = createFakePostgresProvider();
  h = await teamsHarness({ yaml: YAML, providers: [provider] });
}, 60_000);
afterAll(async () => h?.close());

async function pending(requester = 'alice'): Promise<string> {
  const { request } = await createRequest(teamsActor(requester), { identityId: requester, scopes: ['prod-orders-db'], duration: '1h', reason: 'INC-5 debugging' }, h.app.core);
  return request.id;
}

/** An ACTIVE grant of alice's: two approvals through the buttons, then the grant job's work. */
async function active(): Promise<string> {
  const id = await pending();
  await click(CAROL_AAD, 'stint.approve', { requestId: id });
  await click(DAVE_AAD, 'stint.approve', { requestId: id });
  const { status } = await activateGrant(id, h.app.grants);
  if (status !== 'ACTIVE') throw new Error(`${id} did not activate: ${status}`);
  return id;
}

/** The invoke response card, checked to be an Adaptive Card response that validates. */
async function click(aad: string, verb: string, data: Record<string, unknown>, conversationId?: string): Promise<{ text: string; card: any }> {
  const sent = await h.invoke(aad, verb, data, conversationId ? { conversationId } : {});
  expect(sent.status).toBe(200);
  const body = sent.json();
  expect(body).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
  assertValidAdaptiveCard(body.value);
  return { text: JSON.stringify(body.value), card: body.value };
}

describe('Teams card actions', () => {
  it('Deny without a reason asks for one and changes nothing; with one it denies, and the card says so', async () => {
    const id = await pending();
    const empty = await click(CAROL_AAD, 'stint.deny', { requestId: id, reason: '   ' });
    expect(empty.text).toContain('Say why you deny it');
    expect(await h.app.store.listDecisions(id)).toEqual([]);
    const denied = await click(CAROL_AAD, 'stint.deny', { requestId: id, reason: 'no ticket attached' });
    expect(denied.text).toContain('You denied this request');
    expect(denied.text).toContain('Denied by carol: no ticket attached');
    expect(await h.app.store.getRequest(id)).toMatchObject({ status: 'DENIED' });
  });

  it('an approver known by email only (member look-up) can approve from a channel card', async () => {
    const id = await pending();
    const approved = await click(DAVE_AAD, 'stint.approve', { requestId: id }, TEAM_CHANNEL);
    expect(approved.text).toContain('You approved this request');
    expect(await h.app.store.listDecisions(id)).toEqual([expect.objectContaining({ approverId: 'dave', verdict: 'approve', via: 'teams' })]);
  });

  it('Extend: the requester alone is told an approver must extend; an approver extends by the chosen duration', async () => {
    const id = await active();
    const before = (await h.app.store.getRequest(id))!.expiresAt!.getTime();
    const alone = await click(ALICE_AAD, 'stint.extend', { requestId: id, duration: '1h' });
    expect(alone.text).toContain('extending needs an approver of workflow two-dba');
    expect(alone.card.body[0].color).toBe('Attention');
    const extended = await click(CAROL_AAD, 'stint.extend', { requestId: id, duration: '1h' });
    expect(extended.text).toContain('Extended by 1h');
    expect((await h.app.store.getRequest(id))!.expiresAt!.getTime() - before).toBe(3_600_000);
    const bad = await click(CAROL_AAD, 'stint.extend', { requestId: id, duration: 'forever' });
    expect(bad.text).toContain('⛔');
    expect((await h.app.store.getRequest(id))!.expiresAt!.getTime() - before).toBe(3_600_000);
  });

  it('Reveal answers the password in the invoke response only: no Bot Connector call and no audit event holds it', async () => {
    const id = await active();
    const shown = await click(ALICE_AAD, 'stint.reveal', { requestId: id });
    const password = provider.minted.at(-1)!;
    expect(shown.text).toContain(password);
    expect(shown.text).toContain('Shown once');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(JSON.stringify(h.connector.calls)).not.toContain(password);
    const audit = (await h.app.store.readAudit(0n, 100_000)).map((e) => JSON.stringify(e.data));
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.join('\n')).not.toContain(password);
  });

  it('an approver cannot reveal the requester’s credential', async () => {
    const id = await active();
    const minted = provider.minted.length;
    const refused = await click(CAROL_AAD, 'stint.reveal', { requestId: id });
    expect(refused.text).toContain('Only the requester can reveal credentials');
    expect(provider.minted).toHaveLength(minted);
  });

  it('answers a damaged card, an unknown verb and an unknown user with a card that says so', async () => {
    const id = await pending();
    expect((await click(CAROL_AAD, 'stint.approve', {})).text).toContain('no request id');
    expect((await click(CAROL_AAD, 'stint.launch-missiles', { requestId: id })).text).toContain('another version of Stint');
    expect((await click('eeeeeeee-0000-4000-8000-000000000000', 'stint.approve', { requestId: id })).text).toContain('does not know your Teams account');
    expect(await h.app.store.listDecisions(id)).toEqual([]);
  });

  it('a request the clicker may not see, on no card of this conversation, is not found', async () => {
    const id = await pending('erin');
    const other = await click(ALICE_AAD, 'stint.refresh', { requestId: id });
    expect(other.text).toContain('was not found, or you may not see it');
    expect(other.text).not.toContain('INC-5');
  });
});
