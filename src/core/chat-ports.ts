/** Ports of the chat surfaces' memory: every posted card copy, and what Teams told us about conversations and people. */

/** One posted copy of a request's card on a chat platform (a Slack message `ts`, a Teams activity id). */
export interface ChatMessageRecord {
  requestId: string;
  platform: string;
  /** Where it was posted: a channel or conversation id (a Slack DM's `D…` id included). */
  channel: string;
  messageId: string;
  /** The person a direct message went to (the card is rendered for them); null for a channel. */
  recipientId: string | null;
}

/** Every card posted, so each copy is updated in place on each transition (DESIGN.md section 3). */
export interface ChatMessageStore {
  /** Records a copy; saving the same platform, channel and message id again changes nothing. */
  saveChatMessage(message: ChatMessageRecord): Promise<void>;
  /** The copies of one request's card on one platform, oldest first. */
  listChatMessages(requestId: string, platform: string): Promise<ChatMessageRecord[]>;
}

/** Where Teams conversations are and who the Teams users are, learned from activities (DESIGN.md section 3). */
export interface ConversationRefRecord {
  conversationId: string;
  kind: 'personal' | 'channel' | 'groupChat';
  tenantId: string | null;
  /** The team of a channel (its General channel's id). */
  teamId: string | null;
  /** The user of a personal chat (AAD object id). */
  userAadObjectId: string | null;
  /** botbuilder's ConversationReference (ids and the service URL, no secrets). */
  reference: Record<string, unknown>;
}

export interface TeamsUser {
  teamsUserId: string | null;
  aadObjectId: string | null;
}

export interface TeamsDirectoryStore {
  /** Records or refreshes a conversation reference (keyed by conversation id). */
  saveConversationRef(ref: ConversationRefRecord): Promise<void>;
  getConversationRef(conversationId: string): Promise<ConversationRefRecord | null>;
  /** The newest personal chat with this user. */
  findPersonalConversation(userAadObjectId: string): Promise<ConversationRefRecord | null>;
  /** Any stored reference of this tenant (its service URL reaches every conversation of the tenant). */
  findAnyConversation(tenantId: string | null): Promise<ConversationRefRecord | null>;
  /** Forgets a team's channels (the bot was removed from the team) or one conversation. */
  removeConversationRefs(where: { teamId: string } | { conversationId: string }): Promise<number>;
  /**
   * Remembers who a person is in Teams: their user id (`29:…`, for `refresh.userIds`) and AAD object id (their
   * personal chat, when the policy names them by email only); moves either from any other person.
   */
  recordTeamsUser(personId: string, user: TeamsUser): Promise<void>;
  /** What is known of these people in Teams (people with nothing known are left out). */
  teamsUsersOf(personIds: string[]): Promise<Map<string, TeamsUser>>;
}
