/**
 * The break-glass review on the card, checked the same way against both renderers (DESIGN.md section 6: one
 * platform-neutral view, Block Kit and Adaptive Cards from it): the review line each viewer reads, and the
 * "Acknowledge review" action offered to reviewers only — never to the requester.
 */
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/actor.ts';
import type { AccessRequest } from '../../src/domain/request.ts';
import { buildRequestCard, type RequestCard } from '../../src/notify/request-view.ts';
import { approvalCard as slackApproval, requesterCard as slackRequester } from '../../src/slack/blocks.ts';
import { approvalCard as teamsApproval, REVIEW_COMMENT_INPUT, requesterCard as teamsRequester, VERB } from '../../src/teams/cards.ts';
import { checkBlocks } from '../fakes/slack-api.ts';
import { assertValidAdaptiveCard } from '../support/adaptive-card-schema.ts';
import { testPolicy } from '../support/policy-fixture.ts';
import { at, makeRequest } from '../support/store-fixtures.ts';

const policy = testPolicy();
const now = at('2026-11-23T12:00:00.000Z');
const viewer = (id: string): Actor => ({ id, kind: 'person', scopes: ['request', 'approve'], via: 'slack' });
const breakGlass = (overrides: Partial<AccessRequest> = {}) =>
  makeRequest({ workflow: 'two-dba', required: 0, status: 'ACTIVE', breakGlass: true, decidedBy: 'break-glass', decidedAt: now, activatedAt: now, expiresAt: at('2026-11-23T12:30:00.000Z'), reviewStatus: 'PENDING', ...overrides });
const reviewed = () => breakGlass({ reviewStatus: 'ACKNOWLEDGED', reviewedBy: 'erin', reviewedAt: at('2026-11-23T11:45:00.000Z'), reviewComment: 'checked the session log' });

interface Rendered {
  text: string;
  /** The message offers Acknowledge review (Slack's button opens the comment modal; Teams carries the comment input). */
  acknowledge: boolean;
  /** Passes the platform's own limits (Block Kit) or schema (Adaptive Cards 1.5). */
  valid(): void;
}

const renderers: Record<string, { approval(card: RequestCard): Rendered; requester(card: RequestCard): Rendered }> = {
  slack: {
    approval: (card) => slack(slackApproval(card)),
    requester: (card) => slack(slackRequester(card)),
  },
  teams: {
    approval: (card) => teams(teamsApproval(card)),
    requester: (card) => teams(teamsRequester(card)),
  },
};

function slack(message: ReturnType<typeof slackApproval>): Rendered {
  const text = JSON.stringify(message.blocks);
  return { text, acknowledge: text.includes('"action_id":"stint_review"'), valid: () => expect(checkBlocks(message.blocks)).toBeNull() };
}

function teams(card: ReturnType<typeof teamsApproval>): Rendered {
  const text = JSON.stringify(card);
  const acknowledge = text.includes(`"verb":"${VERB.review}"`);
  if (acknowledge) expect(text).toContain(`"id":"${REVIEW_COMMENT_INPUT}"`);
  return { text, acknowledge, valid: () => assertValidAdaptiveCard(card) };
}

describe.each(Object.keys(renderers))('the break-glass review on the %s card', (platform) => {
  const r = renderers[platform]!;

  it('tells a reviewer the review is needed and offers Acknowledge review', () => {
    const shown = r.approval(buildRequestCard(breakGlass(), [], policy, now, viewer('erin')));
    shown.valid();
    expect(shown.text).toContain('Break-glass review needed');
    expect(shown.text).toContain('Review: waiting for security');
    expect(shown.acknowledge).toBe(true);
  });

  it('offers Acknowledge review on a channel copy (checked at click time) but not to someone who is not a reviewer', () => {
    expect(r.approval(buildRequestCard(breakGlass(), [], policy, now)).acknowledge).toBe(true);
    const other = r.approval(buildRequestCard(breakGlass(), [], policy, now, viewer('carol')));
    expect(other.acknowledge).toBe(false);
    expect(other.text).toContain('Review: waiting for security');
    expect(other.text).not.toContain('Break-glass review needed');
  });

  it('never offers the requester to acknowledge their own break-glass, and shows them where the review stands', () => {
    const own = r.requester(buildRequestCard(breakGlass(), [], policy, now, viewer('alice')));
    own.valid();
    expect(own.acknowledge).toBe(false);
    expect(own.text).toContain('Review: waiting for security');
  });

  it('shows who reviewed it, when and their comment, with no action left', () => {
    const shown = r.approval(buildRequestCard(reviewed(), [], policy, now, viewer('erin')));
    shown.valid();
    expect(shown.text).toContain('Reviewed by erin at 11:45 UTC — checked the session log');
    expect(shown.acknowledge).toBe(false);
  });

  it('shows no review at all on a request that was not break-glass', () => {
    const normal = makeRequest({ workflow: 'two-dba', required: 2 });
    const shown = r.approval(buildRequestCard(normal, [], policy, now, viewer('erin')));
    expect(shown.text).not.toContain('Review');
    expect(shown.acknowledge).toBe(false);
  });
});
