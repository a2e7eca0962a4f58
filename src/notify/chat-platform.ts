/**
 * What the chat notifier (chat-notifier.ts) needs of a platform, and what it needs to run: the `ChatPlatform` each
 * of Slack and Teams implements (how a person is reached, how a card is drawn and sent), the snapshot a card is
 * rendered from, and the notifier's dependencies built the same way for every surface.
 */
import type { Logger } from 'pino';
import type { Actor } from '../core/actor.ts';
import type { AuditReader, ChatMessageRecord, ChatMessageStore, Clock, CorePorts, OnCallPort, PolicySource, RequestStore } from '../core/ports.ts';
import type { AccessRequest, Decision } from '../domain/request.ts';
import type { ExternalOnCall } from '../policy/index.ts';
import type { Policy } from '../policy/model.ts';
import type { DigestView } from './digest-view.ts';
import type { GuardrailAlertView } from './guardrail-view.ts';
import type { NotifyOutbox } from './notify-outbox.ts';
import type { RequestCard } from './request-view.ts';

/** A request as it is now, with the fingerprint of its card (equal fingerprints render equal cards). */
export interface ChatSnapshot {
  request: AccessRequest;
  decisions: Decision[];
  policy: Policy;
  now: Date;
  /** Who is on call now in the PagerDuty/Opsgenie rotations this request's workflow and break-glass name. */
  external: ExternalOnCall;
  fingerprint: string;
}

export interface ApprovalMessageOptions {
  loud?: boolean;
  reminder?: boolean;
  reviewReminder?: boolean;
}

/** Where a copy goes: a channel (recipientId null) or a person's direct chat (recipientId = the person). */
export interface ChatTarget {
  channel: string;
  recipientId: string | null;
}

export type ChatSendResult = { ok: true; channel: string; messageId: string } | { ok: false; error: string };

/** Everything platform-specific about sending cards. `M` is the platform's message. */
export interface ChatPlatform<M> {
  /** `slack`, `teams`: the `ChatMessage.platform`, the outbox lane and the `notifyChannels` value. */
  readonly name: string;
  /** The requester's surface (`AccessRequest.via`) that makes them hear here without asking. */
  readonly via: Actor['via'];
  /** The platform's names for its two calls, as logs and `notify.failed` audits say them. */
  readonly methods: { post: string; update: string };
  /** The direct-chat targets of these people (those the platform cannot reach are left out). */
  directTargets(policy: Policy, personIds: string[]): Promise<ChatTarget[]>;
  /** The channels a workflow names for this platform. */
  workflowChannels(policy: Policy, workflow: string): string[];
  /**
   * `loud`: break-glass in a channel (mention everyone); `reminder`: a nudge to an approver who has not decided;
   * `reviewReminder`: the daily nudge to a break-glass reviewer.
   */
  approvalMessage(card: RequestCard, state: ChatSnapshot, options: ApprovalMessageOptions): Promise<M>;
  requesterMessage(card: RequestCard): M;
  noteMessage(card: RequestCard, note?: string): M;
  expiringMessage(card: RequestCard, minutesLeft: number): M;
  digestMessage(digest: DigestView): M;
  /** The loud guardrail alert (a service account's grants revoked, maybe suspended), sent directly to people. */
  alertMessage(view: GuardrailAlertView): M;
  post(target: ChatTarget, message: M): Promise<ChatSendResult>;
  update(copy: ChatMessageRecord, message: M): Promise<ChatSendResult>;
  /** What an admin should do about a refusal (`channel_not_found` → "check the channel id …"). */
  hint(error: string): string;
}

export interface ChatNotifierDeps {
  store: Pick<RequestStore, 'getRequest' | 'listDecisions'> & ChatMessageStore;
  audit: Pick<AuditReader, 'appendAudit'>;
  policy: PolicySource;
  clock: Clock;
  logger: Logger;
  outbox: NotifyOutbox;
  /** Who is on call in rotations kept in PagerDuty or Opsgenie (absent: such rotations reach nobody in chat). */
  oncall?: OnCallPort;
}

/** What a chat surface has at hand (its core ports and stores) as the notifier's dependencies; one shape for every platform. */
export function chatNotifierDeps(deps: {
  core: Pick<CorePorts, 'store' | 'policy' | 'clock' | 'oncall'>;
  chatMessages: ChatMessageStore;
  audit: Pick<AuditReader, 'appendAudit'>;
  outbox: NotifyOutbox;
  logger: Logger;
}): ChatNotifierDeps {
  const { core, chatMessages } = deps;
  return {
    store: {
      getRequest: (id) => core.store.getRequest(id),
      listDecisions: (id) => core.store.listDecisions(id),
      saveChatMessage: (m) => chatMessages.saveChatMessage(m),
      listChatMessages: (id, platform) => chatMessages.listChatMessages(id, platform),
    },
    audit: deps.audit,
    policy: core.policy,
    clock: core.clock,
    logger: deps.logger,
    outbox: deps.outbox,
    ...(core.oncall && { oncall: core.oncall }),
  };
}
