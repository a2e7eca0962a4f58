/**
 * The Teams side of the chat notifier (notify/chat-notifier.ts). A person is reached in their personal chat with
 * Stint (the reference stored when they installed the app or first wrote to it); a channel through the reference
 * stored when Stint was added to its team — until then the post is refused as `not_installed` (alerted once, and
 * approvers still get their card 1:1). Cards are Adaptive Cards (cards.ts) whose `refresh.userIds` are the Teams
 * ids of the people who may act on them, so each of them sees their own buttons.
 */
import type { Activity, ConversationReference } from 'botbuilder';
import type { ChatMessageRecord, TeamsDirectoryStore } from '../core/ports.ts';
import { currentApprovers, currentReviewers } from '../core/visibility.ts';
import { ChatNotifier, type ApprovalMessageOptions, type ChatNotifierDeps, type ChatPlatform, type ChatSendResult, type ChatSnapshot, type ChatTarget } from '../notify/chat-notifier.ts';
import type { DigestView } from '../notify/digest-view.ts';
import type { GuardrailAlertView } from '../notify/guardrail-view.ts';
import type { RequestCard } from '../notify/request-view.ts';
import { ownerOf } from '../policy/index.ts';
import type { Policy } from '../policy/model.ts';
import { approvalCard, cardAttachment, digestCard, expiringCard, requesterCard, requesterNote, type AdaptiveCard } from './cards.ts';
import { guardrailCard } from './guardrail-card.ts';
import type { TeamsSender, TeamsSendResult } from './teams-sender.ts';

export const TEAMS_PLATFORM = 'teams';

/** A card, or (one-line notes) markdown text. */
export type TeamsMessage = { card: AdaptiveCard } | { text: string };

export interface TeamsNotifierDeps extends ChatNotifierDeps {
  sender: TeamsSender;
  directory: Pick<TeamsDirectoryStore, 'getConversationRef' | 'findPersonalConversation' | 'teamsUsersOf'>;
  /** Step-up can be done by signing in again (STINT_OIDC_ISSUER): approval cards do not insist on a code. */
  signIn?: boolean;
}

const HINTS: Record<string, string> = {
  not_installed: 'add the Stint app to the team of this channel (in Teams: the team → Manage team → Apps), or check workflows.<name>.channels.teams; approvers still get their cards 1:1',
  BotNotInConversationRoster: 'Stint was removed from this conversation; add the app again',
  ConversationBlockedByUser: 'the person blocked Stint in their chat; they must unblock it to get cards',
  http_403: 'Teams refused: the bot may not post here (removed from the team, or blocked)',
  http_404: 'the conversation or message no longer exists; that copy is no longer updated',
};

/**
 * The Teams user ids whose clients fetch their own view of the card (`refresh.userIds`): the approvers who may
 * still act on a pending request, the requester of an active grant, the reviewers of a break-glass use whose review
 * waits.
 */
export async function refreshUserIds(directory: Pick<TeamsDirectoryStore, 'teamsUsersOf'>, state: Omit<ChatSnapshot, 'fingerprint'>): Promise<string[]> {
  const { policy, request, now, external } = state;
  const owner = ownerOf(policy, request.requesterId);
  const acting = request.status === 'PENDING' ? currentApprovers(policy, request, now, external).filter((id) => id !== owner) : request.status === 'ACTIVE' && owner ? [owner] : [];
  const people = [...new Set([...acting, ...(request.reviewStatus === 'PENDING' ? currentReviewers(policy, request, now) : [])])];
  const known = await directory.teamsUsersOf(people);
  return people.flatMap((id) => known.get(id)?.teamsUserId ?? []);
}

class TeamsPlatform implements ChatPlatform<TeamsMessage> {
  readonly name = TEAMS_PLATFORM;
  readonly via = 'teams' as const;
  readonly methods = { post: 'sendToConversation', update: 'updateActivity' };

  constructor(private readonly deps: TeamsNotifierDeps) {}

  /** Each person's personal chat with Stint, found by the policy's `teams` id or the one learned from their email. */
  async directTargets(policy: Policy, personIds: string[]): Promise<ChatTarget[]> {
    const people = personIds.filter((id) => policy.people.get(id)?.disabled === false);
    const learned = await this.deps.directory.teamsUsersOf(people.filter((id) => !policy.people.get(id)?.teams));
    const targets = await Promise.all(
      people.map(async (id): Promise<ChatTarget | null> => {
        const aad = policy.people.get(id)?.teams ?? learned.get(id)?.aadObjectId;
        const chat = aad ? await this.deps.directory.findPersonalConversation(aad) : null;
        return chat ? { channel: chat.conversationId, recipientId: id } : null;
      }),
    );
    return targets.filter((t): t is ChatTarget => t !== null);
  }

  workflowChannels(policy: Policy, workflow: string): string[] {
    return policy.workflows.get(workflow)?.channels.teams ?? [];
  }

  async approvalMessage(card: RequestCard, state: ChatSnapshot, options: ApprovalMessageOptions): Promise<TeamsMessage> {
    const notice = options.reminder
      ? '⏰ Reminder: this request still waits for your decision.'
      : options.reviewReminder
        ? '⏰ Reminder: this break-glass use still waits for your review.'
        : options.loud
          ? '🚨 Break-glass access was taken without approval: review it'
          : undefined;
    return { card: approvalCard(card, { refreshUserIds: await refreshUserIds(this.deps.directory, state), ...(notice && { notice }), ...(this.deps.signIn && { signIn: true }) }) };
  }

  requesterMessage(card: RequestCard): TeamsMessage {
    return { card: requesterCard(card) };
  }

  noteMessage(card: RequestCard, note?: string): TeamsMessage {
    return { text: requesterNote(card, note) };
  }

  expiringMessage(card: RequestCard, minutesLeft: number): TeamsMessage {
    return { card: expiringCard(card, minutesLeft) };
  }

  digestMessage(digest: DigestView): TeamsMessage {
    return { card: digestCard(digest) };
  }

  alertMessage(view: GuardrailAlertView): TeamsMessage {
    return { card: guardrailCard(view) };
  }

  async post(target: ChatTarget, message: TeamsMessage): Promise<ChatSendResult> {
    const reference = await this.referenceOf(target.channel);
    if (!reference) return { ok: false, error: 'not_installed' };
    return sendResult(target.channel, await this.deps.sender.post(reference, activityOf(message)));
  }

  async update(copy: ChatMessageRecord, message: TeamsMessage): Promise<ChatSendResult> {
    const reference = await this.referenceOf(copy.channel);
    if (!reference) return { ok: false, error: 'not_installed' };
    return sendResult(copy.channel, await this.deps.sender.update(reference, copy.messageId, activityOf(message)));
  }

  hint(error: string): string {
    return HINTS[error] ?? 'see the Bot Connector error code in the Teams documentation';
  }

  private async referenceOf(conversationId: string): Promise<Partial<ConversationReference> | null> {
    const stored = await this.deps.directory.getConversationRef(conversationId);
    return stored ? (stored.reference as Partial<ConversationReference>) : null;
  }
}

function activityOf(message: TeamsMessage): Partial<Activity> {
  if ('text' in message) return { type: 'message', text: message.text, textFormat: 'markdown' };
  return { type: 'message', attachments: [cardAttachment(message.card)] };
}

function sendResult(conversationId: string, sent: TeamsSendResult): ChatSendResult {
  return sent.ok ? { ok: true, channel: conversationId, messageId: sent.activityId } : sent;
}

export class TeamsNotifier extends ChatNotifier<TeamsMessage> {
  constructor(deps: TeamsNotifierDeps) {
    super(new TeamsPlatform(deps), deps);
  }
}
