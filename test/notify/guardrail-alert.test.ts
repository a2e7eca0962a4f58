/**
 * The guardrail alert (`guardrail.tripped`), checked the same way against both renderers (one platform-neutral view,
 * Block Kit and an Adaptive Card from it), and its delivery: directly to the account's owner and each admin.
 */
import { describe, expect, it } from 'vitest';
import type { GuardrailTripped } from '../../src/core/notification.ts';
import { createLogger } from '../../src/logger.ts';
import { buildGuardrailAlert, guardrailRecipients } from '../../src/notify/guardrail-view.ts';
import type { NotifyOutbox } from '../../src/notify/notify-outbox.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import type { SlackMessage } from '../../src/slack/blocks.ts';
import { guardrailMessage } from '../../src/slack/guardrail-blocks.ts';
import { SlackNotifier } from '../../src/slack/slack-notifier.ts';
import type { SlackSender } from '../../src/slack/slack-sender.ts';
import { guardrailCard } from '../../src/teams/guardrail-card.ts';
import { checkBlocks } from '../fakes/slack-api.ts';
import { assertValidAdaptiveCard } from '../support/adaptive-card-schema.ts';

const policy = parsePolicy(
  `version: 1
people:
  - { id: alice, email: alice@example.com, slack: U0ALICE, groups: [sre] }
  - { id: erin, email: erin@example.com, slack: U0ERIN, groups: [security] }
  - { id: sam, email: sam@example.com, slack: U0SAM, groups: [security] }
  - { id: old, email: old@example.com, slack: U0OLD, groups: [security], disabled: true }
admins: [group:security]
resources:
  - { id: db, provider: { type: postgres }, maxDuration: 4h, workflow: review }
workflows:
  review: { eligible: [group:sre], approvers: [group:security] }
serviceAccounts:
  - { id: svc-bot, owner: alice, maxJitDuration: 30m, resources: [db], onGuardrail: suspend }
`,
  'alert.yaml',
);

const tripped = (over: Partial<GuardrailTripped> = {}): GuardrailTripped => ({
  kind: 'guardrail.tripped',
  serviceAccountId: 'svc-bot',
  ownerId: 'alice',
  reason: 'scope *integrations:write* used outside its <task>',
  rule: 'outside-task',
  actorId: 'policy',
  suspended: true,
  revoked: ['jit_01A', 'jit_01B'],
  cancelled: [],
  at: new Date('2026-12-02T10:00:00Z'),
  ...over,
});

const renderers = {
  slack: (n: GuardrailTripped) => {
    const message = guardrailMessage(buildGuardrailAlert(n));
    return { text: JSON.stringify(message), valid: () => expect(checkBlocks(message.blocks)).toBeNull() };
  },
  teams: (n: GuardrailTripped) => {
    const card = guardrailCard(buildGuardrailAlert(n));
    return { text: JSON.stringify(card), valid: () => assertValidAdaptiveCard(card) };
  },
};

describe.each(Object.keys(renderers) as Array<keyof typeof renderers>)('the guardrail alert on %s', (platform) => {
  const render = renderers[platform];

  it('names the account, its owner, the rule, what was revoked, and how to lift the suspension', () => {
    const shown = render(tripped());
    shown.valid();
    for (const part of ['svc-bot', 'owner alice', 'outside-task', '01A', '01B', 'stint service-account unsuspend svc-bot']) expect(shown.text).toContain(part);
  });

  it('says a trip by hand and an account that is not suspended', () => {
    const shown = render(tripped({ rule: null, actorId: 'erin', suspended: false }));
    shown.valid();
    expect(shown.text).toContain('by hand (erin)');
    expect(shown.text).toContain('not suspended');
  });

  it('escapes the reason, which comes from a resource server', () => {
    const text = render(tripped()).text;
    // Slack mrkdwn reads <…> as links and mentions; Teams markdown reads *…* as emphasis.
    if (platform === 'slack') expect(text).toContain('its &lt;task&gt;');
    else expect(text).toContain('scope \\\\*integrations');
  });
});

describe('guardrail alert delivery', () => {
  it('goes to the owner and each enabled admin, once each', () => {
    expect(guardrailRecipients(policy, tripped(), new Date()).sort()).toEqual(['alice', 'erin', 'sam']);
    expect(guardrailRecipients(policy, tripped({ ownerId: 'erin' }), new Date()).sort()).toEqual(['erin', 'sam']);
  });

  it('is posted by the Slack notifier to each of them directly, at once', async () => {
    const posts: Array<{ channel: string; message: SlackMessage }> = [];
    const sender = {
      post: async (channel: string, message: SlackMessage) => (posts.push({ channel, message }), { ok: true as const, channel, ts: String(posts.length) }),
      update: async () => ({ ok: false as const, error: 'unused' }),
    } as unknown as SlackSender;
    const outbox: NotifyOutbox = { register: () => undefined, dispatch: async () => undefined };
    const notifier = new SlackNotifier({
      sender,
      store: { getRequest: async () => null, listDecisions: async () => [], saveChatMessage: async () => undefined, listChatMessages: async () => [] },
      audit: { appendAudit: async () => { throw new Error('unused'); } },
      policy: { current: () => policy },
      clock: { now: () => new Date('2026-12-02T10:00:00Z') },
      logger: createLogger('silent'),
      outbox,
    });
    await notifier.notify(tripped());
    expect(posts.map((p) => p.channel).sort()).toEqual(['U0ALICE', 'U0ERIN', 'U0SAM']);
    expect(posts[0]!.message.text).toContain('Guardrail tripped: svc-bot suspended');
  });
});
