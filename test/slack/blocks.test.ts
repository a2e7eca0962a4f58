/** Block Kit from the request card: buttons as the handlers expect them, user text escaped, Slack's limits kept. */
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/actor.ts';
import type { AccessRequest, Decision } from '../../src/domain/request.ts';
import { buildRequestCard } from '../../src/notify/request-view.ts';
import { approvalCard, clipEscaped, expiringMessage, requesterCard, requesterNote, type SlackMessage } from '../../src/slack/blocks.ts';
import { checkBlocks } from '../fakes/slack-api.ts';
import { POLICY_YAML, testPolicy } from '../support/policy-fixture.ts';
import { at, makeDecision, makeRequest } from '../support/store-fixtures.ts';

const policy = testPolicy();
const now = at('2026-11-23T12:00:00.000Z');
const pending = (overrides: Partial<AccessRequest> = {}) => makeRequest({ workflow: 'two-dba', required: 2, ...overrides });
const active = (overrides: Partial<AccessRequest> = {}) =>
  pending({ status: 'ACTIVE', decidedAt: now, activatedAt: now, expiresAt: at('2026-11-23T14:32:00.000Z'), ...overrides });
const alice: Actor = { id: 'alice', kind: 'person', scopes: ['request', 'approve'], via: 'slack' };
const card = (r: AccessRequest, decisions: Decision[] = [], viewer?: Actor, p = policy) => buildRequestCard(r, decisions, p, now, viewer);

const buttons = (m: SlackMessage) => (m.blocks ?? []).flatMap((b: any) => (b.type === 'actions' ? b.elements : []));
const allText = (m: SlackMessage) => JSON.stringify(m.blocks);
const valid = (m: SlackMessage) => {
  expect(checkBlocks(m.blocks)).toBeNull();
  expect(m.text.length).toBeGreaterThan(0);
};

describe('the approval card', () => {
  it('has Approve (primary) and Deny (danger) buttons carrying the request id', () => {
    const r = pending();
    const message = approvalCard(card(r));
    valid(message);
    expect(buttons(message)).toEqual([
      expect.objectContaining({ type: 'button', action_id: 'stint_approve', value: r.id, style: 'primary' }),
      expect.objectContaining({ type: 'button', action_id: 'stint_deny', value: r.id, style: 'danger' }),
    ]);
  });

  it('opens with a header naming the resource', () => {
    expect(approvalCard(card(pending())).blocks![0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Access request: prod-orders-db', emoji: true } });
  });

  it('shows requester, resource, duration, reason, ticket and risk as fields', () => {
    const fields = (approvalCard(card(pending({ riskScore: 35, riskSignals: ['prod tier'] }))).blocks as any[]).find((b) => b.fields).fields.map((f: any) => f.text);
    expect(fields).toEqual([
      '*Requester*\nalice (alice@example.com)',
      '*Resource*\nprod-orders-db',
      '*Duration*\n2h',
      '*Reason*\nINC-1234 stuck orders',
      '*Ticket*\nINC-1234',
      '*Risk*\n35/100 (prod tier)',
    ]);
  });

  it('shows the state line', () => {
    expect(allText(approvalCard(card(pending())))).toContain('Waiting for 2 more approvals from dba (0/2)');
  });

  it('lists the approvals so far with their comments', () => {
    const r = pending();
    const text = allText(approvalCard(card(r, [makeDecision(r.id, { approverId: 'carol', comment: 'ok for INC-1234' })])));
    expect(text).toContain('*carol* :white_check_mark: approved');
    expect(text).toContain('_ok for INC-1234_');
  });

  it('has no buttons once the request is decided', () => {
    const message = approvalCard(card(active()));
    valid(message);
    expect(buttons(message)).toEqual([]);
  });

  it('raises a break-glass banner and says so in the fallback text', () => {
    const message = approvalCard(card(active({ breakGlass: true })));
    valid(message);
    expect((message.blocks![1] as any).text.text).toMatch(/^:rotating_light: \*Break-glass: alice took this access/);
    expect(message.text).toMatch(/^:rotating_light: Break-glass access: prod-orders-db/);
  });

  it('puts a mention in front of the fallback text when asked (loud posts)', () => {
    expect(approvalCard(card(active({ breakGlass: true })), { mention: '<!here>' }).text).toMatch(/^<!here> :rotating_light:/);
  });

  it('escapes user text so it cannot mention, link or inject markup', () => {
    const message = approvalCard(card(pending({ reason: 'ping <!channel> & <@U0BOSS> <https://evil.example|click>' })));
    const reason = (message.blocks as any[]).find((b) => b.fields).fields.find((f: any) => f.text.startsWith('*Reason*')).text;
    expect(reason).toBe('*Reason*\nping &lt;!channel&gt; &amp; &lt;@U0BOSS&gt; &lt;https://evil.example|click&gt;');
  });

  it('stays within Block Kit limits with a 2000-character reason full of characters that need escaping', () => {
    const message = approvalCard(card(pending({ reason: '<&>'.repeat(667) })));
    valid(message);
    const reason = (message.blocks as any[]).find((b) => b.fields).fields.find((f: any) => f.text.startsWith('*Reason*')).text as string;
    expect(reason.endsWith('…')).toBe(true);
    expect(reason).not.toMatch(/&[a-z]*…$/);
  });

  it('stays within limits with many long approval comments', () => {
    const r = pending({ required: 40 });
    const decisions = Array.from({ length: 40 }, (_, i) => makeDecision(r.id, { approverId: `approver${i}`, comment: 'x'.repeat(1000) }));
    valid(approvalCard({ ...card(r), approvals: decisions.map((d) => ({ personId: d.approverId, email: `${d.approverId}@example.com`, verdict: 'approve', at: d.at.toISOString(), comment: d.comment })) }));
  });
});

describe('the requester card', () => {
  it('offers Done and Extend on an active grant', () => {
    const r = active();
    const message = requesterCard(card(r, [], alice));
    valid(message);
    expect(buttons(message).map((b: any) => [b.action_id, b.value])).toEqual([
      ['stint_done', r.id],
      ['stint_extend', r.id],
    ]);
  });

  it('offers Reveal credentials where a scope mints one', () => {
    const ephemeral = testPolicy(POLICY_YAML.replace('role: orders_rw }', 'role: orders_rw, mode: ephemeral }'));
    expect(buttons(requesterCard(card(active(), [], alice, ephemeral))).map((b: any) => b.action_id)).toEqual(['stint_done', 'stint_extend', 'stint_reveal']);
  });

  it('never shows Approve or Deny, even while pending', () => {
    const message = requesterCard(card(pending()));
    valid(message);
    expect(buttons(message)).toEqual([]);
  });

  it('leaves out the requester and risk fields', () => {
    const fields = (requesterCard(card(pending())).blocks as any[]).find((b) => b.fields).fields.map((f: any) => f.text.split('\n')[0]);
    expect(fields).toEqual(['*Resource*', '*Duration*', '*Reason*', '*Ticket*']);
  });
});

describe('the expiry reminder', () => {
  it('says how long is left and offers Extend and Done', () => {
    const r = active();
    const message = expiringMessage(card(r, [], alice), 10);
    valid(message);
    expect(message.text).toBe('Your access to prod-orders-db ends in 10 minutes');
    expect(buttons(message).map((b: any) => [b.action_id, b.value])).toEqual([
      ['stint_extend', r.id],
      ['stint_done', r.id],
    ]);
  });
});

describe('the requester note', () => {
  it('is one line of text with the state, escaped, and no blocks', () => {
    const r = pending({ status: 'DENIED', decidedBy: 'carol' });
    const note = requesterNote(card(r, [makeDecision(r.id, { approverId: 'carol', verdict: 'deny', comment: 'use <staging> & retry' })]));
    expect(note.blocks).toBeUndefined();
    expect(note.text).toBe(`:no_entry_sign: Your request for *prod-orders-db* (\`${r.id}\`): Denied by carol: use &lt;staging&gt; &amp; retry`);
  });
});

describe('clipEscaped', () => {
  it('cuts before an entity rather than through it', () => {
    expect(clipEscaped('ab&cd', 6)).toBe('ab…');
    expect(clipEscaped('ab&cd', 9)).toBe('ab&amp;c…');
  });

  it('leaves short text whole', () => {
    expect(clipEscaped('a<b', 10)).toBe('a&lt;b');
  });
});
