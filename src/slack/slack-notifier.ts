/**
 * The Slack `Notifier` (DESIGN.md section 6): a pending request's card goes to the workflow's Slack channels,
 * to each approver with a Slack id by DM, and to the requester (their own variant); every copy is recorded
 * (`ChatMessage`, messageId = ts) and updated in place at each later transition, always rendered from the
 * store — never from the event — so a late or repeated job cannot show an old state. Break-glass use is posted
 * loudly to `breakGlass.notify`; "expires in 10 minutes" goes to the requester with Extend / Done.
 *
 * `notify()` only hands a job of ids to the outbox (the `notify` queue, or this process when none is
 * connected); `deliver()` is what the queue's worker and the inline path run. A Slack refusal (`ok:false`:
 * channel_not_found, not_in_channel, …) is logged and audited once and never retried; everything else that
 * fails makes the job fail, to be retried.
 */
import type { Logger } from 'pino';
import type { AuditReader, ChatMessageRecord, ChatMessageStore, Clock, Notification, Notifier, PolicySource, RequestStore } from '../core/ports.ts';
import { currentApprovers, speaksForRequester } from '../core/visibility.ts';
import type { AccessRequest, Decision } from '../domain/request.ts';
import type { NotifyJob, NotifyOutbox } from '../notify/notify-outbox.ts';
import { notifyJobOf } from '../notify/notify-outbox.ts';
import { buildRequestCard } from '../notify/request-view.ts';
import { expandPrincipals, ownerOf } from '../policy/index.ts';
import type { Policy } from '../policy/model.ts';
import { parseNotifyRef } from '../policy/principal-ref.ts';
import { approvalCard, expiringMessage, requesterCard, requesterNote, type SlackMessage } from './blocks.ts';
import { slackActor } from './commands.ts';
import type { SlackSender } from './slack-sender.ts';

export const SLACK_PLATFORM = 'slack';

export interface SlackNotifierDeps {
  sender: SlackSender;
  store: Pick<RequestStore, 'getRequest' | 'listDecisions'> & ChatMessageStore;
  audit: Pick<AuditReader, 'appendAudit'>;
  policy: PolicySource;
  clock: Clock;
  logger: Logger;
  outbox: NotifyOutbox;
}

/** A request as it is now, with the fingerprint of its card (equal fingerprints render equal cards). */
interface Snapshot {
  request: AccessRequest;
  decisions: Decision[];
  policy: Policy;
  now: Date;
  fingerprint: string;
}

/** Where a copy goes: a channel (recipientId null) or a person's DM (channel = their Slack user id). */
interface Target {
  channel: string;
  recipientId: string | null;
}

/** Rounds of "update every copy, then look again" before leaving the rest to the next job. */
const SETTLE_ROUNDS = 3;

const HINTS: Record<string, string> = {
  channel_not_found: 'check the channel id in the policy (workflows.<name>.channels.slack, breakGlass.notify)',
  not_in_channel: 'invite the Stint app to the channel (/invite @Stint)',
  is_archived: 'the channel is archived; name another one in the policy',
  message_not_found: 'the message was deleted; that copy is no longer updated',
  user_not_found: "check the person's slack id in the policy",
};

export class SlackNotifier implements Notifier {
  private readonly alerted = new Set<string>();

  constructor(private readonly deps: SlackNotifierDeps) {
    deps.outbox.register(SLACK_PLATFORM, (job) => this.deliver(job));
  }

  async notify(notification: Notification): Promise<void> {
    const found = notifyJobOf(notification);
    if (found) await this.deps.outbox.dispatch(SLACK_PLATFORM, found.job, found.key);
  }

  /**
   * Refreshes every copy of a request's card to its current state (through the queue when connected). For the
   * button handlers: a refused click (already decided, not eligible) must still leave the card showing the truth.
   */
  syncCards(requestId: string): Promise<void> {
    return this.deps.outbox.dispatch(SLACK_PLATFORM, { requestId, event: 'sync' }, 'sync');
  }

  /** One job: what the queue's worker and the inline path run. */
  async deliver(job: NotifyJob): Promise<void> {
    switch (job.event) {
      case 'request.pending': {
        const state = await this.load(job.requestId);
        if (!state) return;
        await this.post(state, [...this.channelTargets(state), ...this.approverTargets(state), ...this.requesterTargets(state)]);
        await this.settle(job.requestId, state.fingerprint);
        return;
      }
      case 'breakglass.used': {
        const state = await this.load(job.requestId);
        if (!state) return;
        await this.post(state, [...this.breakGlassTargets(state), ...this.requesterTargets(state)], '<!here>');
        await this.settle(job.requestId, state.fingerprint);
        return;
      }
      case 'grant.expiring':
        return this.remind(job.requestId);
      case 'sync':
        await this.settle(job.requestId);
        return;
      default: {
        const state = await this.settle(job.requestId);
        if (state) await this.tellRequester(state, job);
      }
    }
  }

  private async load(requestId: string): Promise<Snapshot | null> {
    const request = await this.deps.store.getRequest(requestId);
    if (!request) return null;
    const decisions = await this.deps.store.listDecisions(requestId);
    const policy = this.deps.policy.current();
    const now = this.deps.clock.now();
    return { request, decisions, policy, now, fingerprint: JSON.stringify(buildRequestCard(request, decisions, policy, now)) };
  }

  /**
   * Updates every copy to the current state, then reads the state again: if it moved meanwhile (another job,
   * another process), updates again. `shown`: the fingerprint the copies already show (just posted).
   */
  private async settle(requestId: string, shown?: string): Promise<Snapshot | null> {
    let last: Snapshot | null = null;
    for (let round = 0; round < SETTLE_ROUNDS; round++) {
      const state = await this.load(requestId);
      if (!state || state.fingerprint === shown) return state ?? last;
      const copies = await this.deps.store.listChatMessages(requestId, SLACK_PLATFORM);
      await settleAll(copies.map((copy) => this.update(state, copy)));
      shown = state.fingerprint;
      last = state;
    }
    return last;
  }

  /** Posts the card to each target that has no copy yet (a retried job does not post twice) and records each copy. */
  private async post(state: Snapshot, targets: Target[], mention?: string): Promise<void> {
    const existing = await this.deps.store.listChatMessages(state.request.id, SLACK_PLATFORM);
    const has = (t: Target) => existing.some((c) => (t.recipientId ? c.recipientId === t.recipientId : c.recipientId === null && c.channel === t.channel));
    const unique = targets.filter((t, i) => targets.findIndex((o) => o.channel === t.channel) === i && !has(t));
    await settleAll(
      unique.map(async (target) => {
        const message = this.render(state, target.recipientId, target.recipientId ? undefined : mention);
        const sent = await this.deps.sender.post(target.channel, message);
        if (!sent.ok) return this.refused(state.request.id, target.channel, 'chat.postMessage', sent.error);
        await this.deps.store.saveChatMessage({ requestId: state.request.id, platform: SLACK_PLATFORM, channel: sent.channel, messageId: sent.ts, recipientId: target.recipientId });
      }),
    );
  }

  private async update(state: Snapshot, copy: ChatMessageRecord): Promise<void> {
    const sent = await this.deps.sender.update(copy.channel, copy.messageId, this.render(state, copy.recipientId));
    if (!sent.ok) await this.refused(state.request.id, copy.channel, 'chat.update', sent.error);
  }

  /** The requester's copy is their variant; everyone else's is the approval card, with the buttons they may use. */
  private render(state: Snapshot, recipientId: string | null, mention?: string): SlackMessage {
    const viewer = recipientId ? slackActor(recipientId) : undefined;
    const card = buildRequestCard(state.request, state.decisions, state.policy, state.now, viewer);
    if (viewer && speaksForRequester(state.policy, viewer, state.request)) return requesterCard(card);
    return approvalCard(card, mention ? { mention } : {});
  }

  /** A short line after a transition; an active grant whose requester has no card yet (auto-approved) gets the card. */
  private async tellRequester(state: Snapshot, job: NotifyJob): Promise<void> {
    const [target] = this.requesterTargets(state);
    // The card shows every retry of a failing revoke; the requester hears about the first.
    if (!target || (job.event === 'grant.revoke_failed' && (job.attempt ?? 1) > 1)) return;
    const copies = await this.deps.store.listChatMessages(state.request.id, SLACK_PLATFORM);
    if (state.request.status === 'ACTIVE' && !copies.some((c) => c.recipientId === target.recipientId)) return this.post(state, [target]);
    const card = buildRequestCard(state.request, state.decisions, state.policy, state.now, slackActor(target.recipientId!));
    await this.send(state.request.id, target, requesterNote(card, driftNote(job)));
  }

  private async remind(requestId: string): Promise<void> {
    const state = await this.load(requestId);
    const expiresAt = state?.request.expiresAt;
    const [target] = state ? this.requesterTargets(state) : [];
    if (!state || !target || state.request.status !== 'ACTIVE' || !expiresAt) return;
    const minutesLeft = Math.max(1, Math.round((expiresAt.getTime() - state.now.getTime()) / 60_000));
    const card = buildRequestCard(state.request, state.decisions, state.policy, state.now, slackActor(target.recipientId!));
    await this.send(requestId, target, expiringMessage(card, minutesLeft));
  }

  private async send(requestId: string, target: Target, message: SlackMessage): Promise<void> {
    const sent = await this.deps.sender.post(target.channel, message);
    if (!sent.ok) await this.refused(requestId, target.channel, 'chat.postMessage', sent.error);
  }

  private channelTargets(state: Snapshot): Target[] {
    const channels = state.policy.workflows.get(state.request.workflow)?.channels.slack ?? [];
    return channels.map((channel) => ({ channel, recipientId: null }));
  }

  private approverTargets(state: Snapshot): Target[] {
    const { policy, request, now } = state;
    const owner = ownerOf(policy, request.requesterId);
    return this.dms(policy, currentApprovers(policy, request, now).filter((id) => id !== owner));
  }

  /**
   * The requester (a service account's owner) hears on Slack when they asked there, or asked for Slack
   * notifications (`notifyChannels`, DESIGN.md section 6).
   */
  private requesterTargets(state: Snapshot): Target[] {
    const { policy, request } = state;
    const owner = ownerOf(policy, request.requesterId);
    if (!owner || (request.via !== 'slack' && !request.notifyChannels.includes(SLACK_PLATFORM))) return [];
    return this.dms(policy, [owner]);
  }

  /** `breakGlass.notify`: people, groups and on-call by DM; `channel:slack:<id or #name>` in the channel. */
  private breakGlassTargets(state: Snapshot): Target[] {
    const refs = state.policy.breakGlass?.notify ?? [];
    const channels = refs.flatMap((ref) => {
      const parsed = parseNotifyRef(ref);
      return parsed?.kind === 'channel' && parsed.platform === SLACK_PLATFORM ? [{ channel: parsed.name, recipientId: null }] : [];
    });
    const people = expandPrincipals(state.policy, refs.filter((ref) => parseNotifyRef(ref)?.kind !== 'channel'), state.now);
    return [...channels, ...this.dms(state.policy, [...people])];
  }

  private dms(policy: Policy, personIds: string[]): Target[] {
    return personIds.flatMap((id) => {
      const person = policy.people.get(id);
      return person?.slack && !person.disabled ? [{ channel: person.slack, recipientId: id }] : [];
    });
  }

  /** Slack refused for good: say so once (log and audit), and carry on with the other copies. */
  private async refused(requestId: string, channel: string, method: string, error: string): Promise<void> {
    const key = `${requestId}|${channel}|${method}|${error}`;
    if (this.alerted.has(key)) return;
    if (this.alerted.size > 10_000) this.alerted.clear();
    this.alerted.add(key);
    const hint = HINTS[error] ?? 'see https://api.slack.com/methods for what it means';
    this.deps.logger.error({ requestId, channel, method, error }, `Slack refused ${method} to ${channel} (${error}): ${hint}`);
    try {
      await this.deps.audit.appendAudit({ actor: 'stint', action: 'notify.failed', requestId, data: { platform: SLACK_PLATFORM, channel, method, error }, at: this.deps.clock.now() });
    } catch (err) {
      this.deps.logger.error({ err, requestId }, 'could not audit a refused Slack message');
    }
  }
}

function driftNote(job: NotifyJob): string | undefined {
  if (job.event !== 'grant.drift' || !job.resourceId) return undefined;
  if (job.found === 'absent') return `Access to ${job.resourceId} was removed outside Stint while this grant is active.`;
  return job.fixed
    ? `Stint found access to ${job.resourceId} still in place after the grant ended, and removed it.`
    : `Stint found access to ${job.resourceId} still in place after the grant ended; removing it failed and is retried.`;
}

/** Runs all, then fails with the first error (so one failing copy neither stops the others nor goes unnoticed). */
async function settleAll(work: Array<Promise<unknown>>): Promise<void> {
  const results = await Promise.allSettled(work);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
