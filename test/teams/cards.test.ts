/** Adaptive Cards from the request card: valid 1.5 JSON, the verbs and inputs the invoke handler expects, user text escaped. */
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/actor.ts';
import type { AccessRequest, Decision } from '../../src/domain/request.ts';
import { buildRequestCard } from '../../src/notify/request-view.ts';
import {
  approvalCard,
  cardAttachment,
  credentialCard,
  DENY_REASON_INPUT,
  expiringCard,
  EXTEND_DURATION_INPUT,
  messageCard,
  requesterCard,
  requesterNote,
  VERB,
  type AdaptiveCard,
} from '../../src/teams/cards.ts';
import { assertValidAdaptiveCard } from '../support/adaptive-card-schema.ts';
import { POLICY_YAML, testPolicy } from '../support/policy-fixture.ts';
import { at, makeDecision, makeRequest } from '../support/store-fixtures.ts';

const policy = testPolicy();
const ephemeral = testPolicy(POLICY_YAML.replace('role: orders_rw }', 'role: orders_rw, mode: ephemeral }'));
const now = at('2026-11-23T12:00:00.000Z');
const pending = (overrides: Partial<AccessRequest> = {}) => makeRequest({ workflow: 'two-dba', required: 2, ...overrides });
const active = (overrides: Partial<AccessRequest> = {}) =>
  pending({ status: 'ACTIVE', decidedAt: now, activatedAt: now, expiresAt: at('2026-11-23T14:32:00.000Z'), ...overrides });
const person = (id: string): Actor => ({ id, kind: 'person', scopes: ['request', 'approve'], via: 'teams' });
const card = (r: AccessRequest, decisions: Decision[] = [], viewer?: Actor, p = policy) => buildRequestCard(r, decisions, p, now, viewer);

const actions = (c: AdaptiveCard) => c.actions ?? [];
const action = (c: AdaptiveCard, title: string) => actions(c).find((a) => a.title === title) as any;
const texts = (c: AdaptiveCard) => c.body.filter((b) => b.type === 'TextBlock').map((b) => b.text as string);
const fact = (c: AdaptiveCard, label: string) => (c.body.find((b) => b.type === 'FactSet') as any).facts.find((f: any) => f.title === label)?.value as string | undefined;
const nodes = (value: unknown): Record<string, unknown>[] =>
  Array.isArray(value) ? value.flatMap(nodes) : typeof value === 'object' && value !== null ? [value as Record<string, unknown>, ...Object.values(value).flatMap(nodes)] : [];

describe('the schema check', () => {
  it('rejects an unknown element type, an Action.Execute without a verb and an Input without an id', () => {
    const broken = {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [{ type: 'Bogus' }, { type: 'Input.Text', label: 'x' }],
      actions: [{ type: 'Action.Execute', title: 'Go' }],
    };
    expect(() => assertValidAdaptiveCard(broken)).toThrow(/Unknown element type "Bogus"[\s\S]*Input\.Text without an id[\s\S]*Action\.Execute without a verb/);
  });

  it('rejects a card that is not version 1.5', () => {
    expect(() => assertValidAdaptiveCard({ type: 'AdaptiveCard', version: '1.6', body: [{ type: 'TextBlock', text: 'hi' }] })).toThrow(/not "1\.5"/);
  });
});

describe('every card', () => {
  const r = active({ breakGlass: true });
  const variants: [string, AdaptiveCard][] = [
    ['approval, pending', approvalCard(card(pending()), { notice: 'nope', refreshUserIds: ['29:carol'] })],
    ['approval, break-glass', approvalCard(card(r))],
    ['requester, active', requesterCard(card(active(), [], person('alice'), ephemeral))],
    ['expiring', expiringCard(card(active(), [], person('alice')), 10)],
    ['credential', credentialCard(r.id, [{ resourceId: 'prod-orders-db', username: 'stint_alice_x', password: 'a_b*c', expiresAt: now, hint: 'postgres://db/orders' }])],
    ['message', messageCard('You cannot approve your own request', r.id)],
  ];

  it.each(variants)('%s: validates as an Adaptive Card 1.5 for the full width of Teams', (_, c) => {
    assertValidAdaptiveCard(c);
    expect(c).toMatchObject({ version: '1.5', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', msteams: { width: 'Full' } });
  });

  it.each(variants)('%s: wraps every TextBlock', (_, c) => {
    expect(nodes(c).filter((n) => n.type === 'TextBlock' && n.wrap !== true)).toEqual([]);
  });

  it('wraps as an attachment of the Adaptive Card content type', () => {
    const c = messageCard('hi');
    expect(cardAttachment(c)).toEqual({ contentType: 'application/vnd.microsoft.card.adaptive', content: c });
  });
});

describe('the approval card', () => {
  it('offers approvers Approve and a Deny form whose reason is required', () => {
    const r = pending();
    const c = approvalCard(card(r, [], person('carol')));
    expect(actions(c).map((a) => a.title)).toEqual(['Approve', 'Deny…']);
    expect(action(c, 'Approve')).toEqual({ type: 'Action.Execute', verb: VERB.approve, title: 'Approve', style: 'positive', data: { requestId: r.id } });
    const form = action(c, 'Deny…').card;
    expect(form.body).toEqual([expect.objectContaining({ type: 'Input.Text', id: DENY_REASON_INPUT, isRequired: true, isMultiline: true, errorMessage: 'Say why you deny it', maxLength: 500 })]);
    expect(form.actions).toEqual([{ type: 'Action.Execute', verb: VERB.deny, title: 'Deny', style: 'destructive', data: { requestId: r.id } }]);
  });

  it('has no actions for a viewer who may not decide', () => {
    expect(approvalCard(card(pending(), [], person('bob')))).not.toHaveProperty('actions');
    expect(approvalCard(card(pending(), [], person('alice')))).not.toHaveProperty('actions');
  });

  it('has no actions once the request is decided', () => {
    expect(approvalCard(card(active()))).not.toHaveProperty('actions');
  });

  it('opens with a large bold title and shows the facts and the state line', () => {
    const c = approvalCard(card(pending()));
    expect(c.body[0]).toMatchObject({ type: 'TextBlock', text: 'Access request: prod-orders-db', size: 'Large', weight: 'Bolder' });
    expect(fact(c, 'Requester')).toBe('alice (alice@example.com)');
    expect(texts(c)).toContain('⏳ Waiting for 2 more approvals from dba (0/2)');
  });

  it('lists the approvals so far with time and comment', () => {
    const r = pending();
    const c = approvalCard(card(r, [makeDecision(r.id, { approverId: 'carol', comment: 'ok for INC-1234', at: at('2026-11-23T14:02:10.000Z') })]));
    expect(texts(c)).toContain('✅ **carol** approved 14:02 UTC — ok for INC-1234');
  });

  it('ends with the request id, small and subtle', () => {
    const r = pending();
    expect(approvalCard(card(r)).body.at(-1)).toMatchObject({ text: `Request \`${r.id}\``, size: 'Small', isSubtle: true });
  });

  it('raises a break-glass banner in attention colour', () => {
    const banner = approvalCard(card(active({ breakGlass: true }))).body[1];
    expect(banner).toMatchObject({ color: 'Attention', weight: 'Bolder' });
    expect(banner!.text).toMatch(/^🚨 Break-glass: alice took this access without approval/);
  });

  it('shows a notice first, in attention colour', () => {
    const c = approvalCard(card(pending()), { notice: '⛔ You cannot approve your own request' });
    expect(c.body[0]).toMatchObject({ type: 'TextBlock', text: '⛔ You cannot approve your own request', color: 'Attention' });
  });

  it('escapes markdown in the reason so it cannot become a link', () => {
    const c = approvalCard(card(pending({ reason: '[click](http://evil) **now** _x_' })));
    expect(fact(c, 'Reason')).toBe('\\[click\\](http://evil) \\*\\*now\\*\\* \\_x\\_');
    expect(JSON.stringify(c)).not.toContain('[click](http://evil)');
  });

  it('escapes a heading or quote at the start of a line of the reason', () => {
    expect(fact(approvalCard(card(pending({ reason: '# big\n> quoted a > b' }))), 'Reason')).toBe('\\# big\n\\> quoted a > b');
  });

  it('clips a long reason to 1000 characters with an ellipsis', () => {
    const reason = fact(approvalCard(card(pending({ reason: 'x'.repeat(5000) }))), 'Reason')!;
    expect(reason).toHaveLength(1000);
    expect(reason.endsWith('…')).toBe(true);
  });

  it('clips a long approval comment to 300 characters', () => {
    const r = pending();
    const line = texts(approvalCard(card(r, [makeDecision(r.id, { approverId: 'carol', comment: 'y'.repeat(900) })]))).find((t) => t.includes('carol'))!;
    expect(line.split(' — ')[1]).toBe(`${'y'.repeat(299)}…`);
  });
});

describe('refresh for personalised copies', () => {
  it('asks the listed users to refresh, with the request id', () => {
    const r = pending();
    expect(approvalCard(card(r), { refreshUserIds: ['29:carol', '29:dave'] }).refresh).toEqual({
      action: { type: 'Action.Execute', verb: VERB.refresh, title: 'Refresh', data: { requestId: r.id } },
      userIds: ['29:carol', '29:dave'],
    });
  });

  it('keeps at most 60 users', () => {
    const ids = Array.from({ length: 75 }, (_, i) => `29:user${i}`);
    expect(requesterCard(card(pending()), { refreshUserIds: ids }).refresh!.userIds).toEqual(ids.slice(0, 60));
  });

  it('is absent when nobody is listed', () => {
    expect(approvalCard(card(pending()), { refreshUserIds: [] })).not.toHaveProperty('refresh');
    expect(approvalCard(card(pending()))).not.toHaveProperty('refresh');
  });
});

describe('the requester card', () => {
  it('offers Done and an Extend form on an active grant', () => {
    const r = active();
    const c = requesterCard(card(r, [], person('alice')));
    expect(actions(c).map((a) => a.title)).toEqual(['Done, remove access', 'Extend…']);
    expect(action(c, 'Done, remove access')).toMatchObject({ type: 'Action.Execute', verb: VERB.done, style: 'positive', data: { requestId: r.id } });
    const form = action(c, 'Extend…').card;
    expect(form.body[0]).toMatchObject({ type: 'Input.ChoiceSet', id: EXTEND_DURATION_INPUT, isMultiSelect: false, style: 'compact', value: '1h' });
    expect(form.body[0].choices.map((choice: any) => choice.value)).toEqual(['30m', '1h', '2h', '4h']);
    expect(form.actions).toEqual([{ type: 'Action.Execute', verb: VERB.extend, title: 'Extend', data: { requestId: r.id } }]);
  });

  it('offers Reveal credentials where a scope mints one', () => {
    const c = requesterCard(card(active(), [], person('alice'), ephemeral));
    expect(actions(c).map((a) => a.verb ?? a.title)).toEqual([VERB.done, 'Extend…', VERB.reveal]);
  });

  it('never shows Approve or Deny, even while pending', () => {
    expect(requesterCard(card(pending()))).not.toHaveProperty('actions');
  });

  it('is titled for the requester and leaves out the requester and risk facts', () => {
    const c = requesterCard(card(pending()));
    expect(c.body[0]).toMatchObject({ text: 'Your request: prod-orders-db' });
    expect((c.body.find((b) => b.type === 'FactSet') as any).facts.map((f: any) => f.title)).toEqual(['Resource', 'Duration', 'Reason', 'Ticket']);
  });
});

describe('the expiry reminder', () => {
  it('says how long is left and offers Extend and Done, without refresh', () => {
    const r = active();
    const c = expiringCard(card(r, [], person('alice')), 10);
    expect(texts(c)[0]).toBe('⏳ Your access to **prod-orders-db** ends in **10 minutes**. Extend it, or say you are done.');
    expect(actions(c).map((a) => a.title)).toEqual(['Extend…', 'Done, remove access']);
    expect(c).not.toHaveProperty('refresh');
  });
});

describe('the credential card', () => {
  const credential = { resourceId: 'prod-orders-db', username: 'stint_alice_01', password: 'x_Y-z_9', expiresAt: at('2026-11-23T14:32:00.000Z'), hint: null };

  it('shows the password exactly, in a monospace run that renders no markdown', () => {
    const runs = nodes(credentialCard('jit_1', [credential])).filter((n) => n.type === 'TextRun');
    expect(runs).toContainEqual({ type: 'TextRun', text: 'x_Y-z_9', fontType: 'Monospace' });
    expect(runs).toContainEqual({ type: 'TextRun', text: 'stint_alice_01', fontType: 'Monospace' });
  });

  it('says when it expires and that it is shown once and not stored', () => {
    const all = texts(credentialCard('jit_1', [credential])).join('\n');
    expect(all).toContain('Expires 2026-11-23 14:32 UTC');
    expect(all).toMatch(/Shown once and not stored/);
  });
});

describe('the message card', () => {
  it('is one wrapped, escaped TextBlock and the request id', () => {
    const c = messageCard('Not *yours*', 'jit_1');
    expect(c.body).toEqual([
      { type: 'TextBlock', text: 'Not \\*yours\\*', wrap: true },
      expect.objectContaining({ text: 'Request `jit_1`' }),
    ]);
    expect(c).not.toHaveProperty('actions');
  });
});

describe('the requester note', () => {
  it('is one markdown line with the id and the state line, user text escaped', () => {
    const r = pending({ status: 'DENIED', decidedBy: 'carol' });
    const note = requesterNote(card(r, [makeDecision(r.id, { approverId: 'carol', verdict: 'deny', comment: 'use *staging* first' })]));
    expect(note).toBe(`🚫 Your request for **prod-orders-db** (\`${r.id}\`): Denied by carol: use \\*staging\\* first`);
  });

  it('adds a note on its own line', () => {
    expect(requesterNote(card(active()), 'Extended by 1h')).toMatch(/\n\nExtended by 1h$/);
  });
});
