/**
 * Where Stint may post in Teams, learned from the activities it receives (DESIGN.md section 6): every personal
 * chat, group chat and channel it hears from is stored as a conversation reference (one per conversation, the
 * newest service URL winning); added to a team, it also stores each channel of the team, so cards can be posted
 * to the channels a workflow names; removed, it forgets them.
 */
import { TeamsInfo, TurnContext, type Activity, type ConversationReference } from 'botbuilder';
import type { Logger } from 'pino';
import type { ConversationRefRecord, TeamsDirectoryStore } from '../core/ports.ts';

export interface ConversationDeps {
  directory: Pick<TeamsDirectoryStore, 'saveConversationRef' | 'removeConversationRefs'>;
  logger: Logger;
}

interface TeamsChannelData {
  tenant?: { id?: string };
  team?: { id?: string };
  channel?: { id?: string };
  eventType?: string;
}

export class ConversationBook {
  /** conversation id → the service URL last written (a message in a known conversation costs no write). */
  private readonly known = new Map<string, string>();

  constructor(private readonly deps: ConversationDeps) {}

  /** Stores the conversation of this activity (a no-op when nothing changed since the last time). */
  async remember(activity: Activity): Promise<ConversationRefRecord | null> {
    const record = recordOf(activity);
    if (!record) return null;
    const serviceUrl = String(record.reference.serviceUrl ?? '');
    if (this.known.get(record.conversationId) === serviceUrl) return record;
    await this.deps.directory.saveConversationRef(record);
    if (this.known.size > 50_000) this.known.clear();
    this.known.set(record.conversationId, serviceUrl);
    return record;
  }

  /** Stint was added to a team: store every channel of it (best effort: the General channel is stored already). */
  async rememberTeamChannels(context: TurnContext, team: ConversationRefRecord): Promise<void> {
    if (!team.teamId) return;
    try {
      const channels = await TeamsInfo.getTeamChannels(context, team.teamId);
      for (const channel of channels) {
        if (!channel.id || channel.id === team.conversationId) continue;
        const reference = { ...team.reference, conversation: { ...(team.reference.conversation as object), id: channel.id } };
        await this.deps.directory.saveConversationRef({ ...team, conversationId: channel.id, reference });
        this.known.set(channel.id, String(team.reference.serviceUrl ?? ''));
      }
    } catch (err) {
      this.deps.logger.warn({ err: err instanceof Error ? err.message : String(err), teamId: team.teamId }, 'could not list the channels of a team; only its General channel can get cards until a message arrives from another channel');
    }
  }

  /** Stint was removed from a team or a chat: forget where it can no longer post. */
  async forget(activity: Activity): Promise<void> {
    const data = (activity.channelData ?? {}) as TeamsChannelData;
    const where = data.team?.id ? { teamId: data.team.id } : { conversationId: activity.conversation.id };
    const removed = await this.deps.directory.removeConversationRefs(where);
    this.known.clear();
    this.deps.logger.info({ ...where, removed }, 'Stint was removed from a Teams conversation; its references are forgotten');
  }
}

/** The reference of an activity's conversation; a channel thread is stored as its channel. */
export function recordOf(activity: Activity): ConversationRefRecord | null {
  const conversation = activity.conversation;
  if (!conversation?.id || !activity.serviceUrl) return null;
  const data = (activity.channelData ?? {}) as TeamsChannelData;
  const type = conversation.conversationType;
  const kind: ConversationRefRecord['kind'] = type === 'personal' ? 'personal' : type === 'groupChat' ? 'groupChat' : 'channel';
  const conversationId = kind === 'channel' ? (data.channel?.id ?? conversation.id.split(';')[0]!) : conversation.id;
  const full = TurnContext.getConversationReference(activity) as Partial<ConversationReference>;
  const { activityId: _thread, user: _user, ...rest } = full;
  const reference = { ...rest, conversation: { ...conversation, id: conversationId } };
  return {
    conversationId,
    kind,
    tenantId: data.tenant?.id ?? conversation.tenantId ?? null,
    teamId: data.team?.id ?? null,
    userAadObjectId: kind === 'personal' ? (activity.from?.aadObjectId ?? null) : null,
    reference: JSON.parse(JSON.stringify(reference)) as Record<string, unknown>,
  };
}
