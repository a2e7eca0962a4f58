/**
 * The Slack side of the chat notifier (notify/chat-notifier.ts): a person is reached by DM at their Slack id
 * (messageId = the message's `ts`), cards are Block Kit (blocks.ts), a loud post mentions `<!here>`, and
 * `ok:false` answers (channel_not_found, not_in_channel, …) are refusals for good, each with the admin's fix.
 */
import type { ChatMessageRecord } from '../core/ports.ts';
import { ChatNotifier, type ApprovalMessageOptions, type ChatNotifierDeps, type ChatPlatform, type ChatSendResult, type ChatTarget } from '../notify/chat-notifier.ts';
import type { RequestCard } from '../notify/request-view.ts';
import type { Policy } from '../policy/model.ts';
import { approvalCard, digestMessage, expiringMessage, requesterCard, requesterNote, type SlackMessage } from './blocks.ts';
import { guardrailMessage } from './guardrail-blocks.ts';
import type { SendResult, SlackSender } from './slack-sender.ts';

export const SLACK_PLATFORM = 'slack';

export interface SlackNotifierDeps extends ChatNotifierDeps {
  sender: SlackSender;
}

const HINTS: Record<string, string> = {
  channel_not_found: 'check the channel id in the policy (workflows.<name>.channels.slack, breakGlass.notify)',
  not_in_channel: 'invite the Stint app to the channel (/invite @Stint)',
  is_archived: 'the channel is archived; name another one in the policy',
  message_not_found: 'the message was deleted; that copy is no longer updated',
  user_not_found: "check the person's slack id in the policy",
};

class SlackPlatform implements ChatPlatform<SlackMessage> {
  readonly name = SLACK_PLATFORM;
  readonly via = 'slack' as const;
  readonly methods = { post: 'chat.postMessage', update: 'chat.update' };

  constructor(private readonly sender: SlackSender) {}

  async directTargets(policy: Policy, personIds: string[]): Promise<ChatTarget[]> {
    return personIds.flatMap((id) => {
      const person = policy.people.get(id);
      return person?.slack && !person.disabled ? [{ channel: person.slack, recipientId: id }] : [];
    });
  }

  workflowChannels(policy: Policy, workflow: string): string[] {
    return policy.workflows.get(workflow)?.channels.slack ?? [];
  }

  async approvalMessage(card: RequestCard, _state: unknown, options: ApprovalMessageOptions): Promise<SlackMessage> {
    if (options.reminder) return approvalCard(card, { mention: ':alarm_clock: Reminder: still waiting for your decision.' });
    if (options.reviewReminder) return approvalCard(card, { mention: ':alarm_clock: Reminder: this break-glass use still waits for your review.' });
    return approvalCard(card, options.loud ? { mention: '<!here>' } : {});
  }

  requesterMessage = requesterCard;
  noteMessage = requesterNote;
  expiringMessage = expiringMessage;
  digestMessage = digestMessage;
  alertMessage = guardrailMessage;

  async post(target: ChatTarget, message: SlackMessage): Promise<ChatSendResult> {
    return sendResult(await this.sender.post(target.channel, message));
  }

  async update(copy: ChatMessageRecord, message: SlackMessage): Promise<ChatSendResult> {
    return sendResult(await this.sender.update(copy.channel, copy.messageId, message));
  }

  hint(error: string): string {
    return HINTS[error] ?? 'see https://api.slack.com/methods for what it means';
  }
}

function sendResult(sent: SendResult): ChatSendResult {
  return sent.ok ? { ok: true, channel: sent.channel, messageId: sent.ts } : sent;
}

export class SlackNotifier extends ChatNotifier<SlackMessage> {
  constructor(deps: SlackNotifierDeps) {
    super(new SlackPlatform(deps.sender), deps);
  }
}
