/**
 * The chat `Notifier` (DESIGN.md section 6), one for every chat platform: a pending request's card goes to the
 * workflow's channels, to each approver directly, and to the requester (their own variant); every copy is
 * recorded (`ChatMessage`) and updated in place at each later transition, always rendered from the store —
 * never from the event — so a late or repeated job cannot show an old state. Break-glass use is posted loudly
 * to `breakGlass.notify`; "expires in 10 minutes" goes to the requester with Extend / Done.
 *
 * What differs between Slack and Teams — how a person is reached, how a card is drawn, how a message is sent —
 * is the `ChatPlatform`. `notify()` only hands a job of ids to the outbox (the `notify` queue, or this process
 * when none is connected); `deliver()` is what the queue's worker and the inline path run. A platform's refusal
 * for good (a channel that does not exist, a bot not installed) is logged and audited once and never retried;
 * everything else that fails makes the job fail, to be retried.
 */
import type { Actor } from '../core/actor.ts';
import { onCallOf } from '../core/on-call-now.ts';
import type { GuardrailTripped } from '../core/notification.ts';
import type { ChatMessageRecord, DigestItem, DigestSender, Notification, Notifier } from '../core/ports.ts';
import { currentApprovers, currentReviewers, speaksForRequester } from '../core/visibility.ts';
import { escalationRefs, expandPrincipals, ownerOf } from '../policy/index.ts';
import { parseNotifyRef } from '../policy/principal-ref.ts';
import type { ApprovalMessageOptions, ChatNotifierDeps, ChatPlatform, ChatSnapshot, ChatTarget } from './chat-platform.ts';
import { buildDigest } from './digest-view.ts';
import { buildGuardrailAlert, guardrailRecipients } from './guardrail-view.ts';
import { notifyJobOf, type NotifyJob } from './notify-outbox.ts';
import { buildRequestCard, type RequestCard } from './request-view.ts';

export type { ApprovalMessageOptions, ChatNotifierDeps, ChatPlatform, ChatSendResult, ChatSnapshot, ChatTarget } from './chat-platform.ts';
export { chatNotifierDeps } from './chat-platform.ts';

/** Rounds of "update every copy, then look again" before leaving the rest to the next job. */
const SETTLE_ROUNDS = 3;

/** The card as this person sees it (only the actions they may take). */
export function personViewer(personId: string, via: Actor['via']): Actor {
  return { id: personId, kind: 'person', scopes: ['request', 'approve'], via };
}

/** Requests listed in one digest message (Block Kit's 50 blocks hold 20 with their buttons); the rest are counted. */
const DIGEST_MAX = 20;

export class ChatNotifier<M> implements Notifier, DigestSender {
  private readonly alerted = new Set<string>();

  constructor(
    private readonly platform: ChatPlatform<M>,
    private readonly deps: ChatNotifierDeps,
  ) {
    deps.outbox.register(platform.name, (job) => this.deliver(job));
  }

  async notify(notification: Notification): Promise<void> {
    if (notification.kind === 'guardrail.tripped') return this.alertGuardrail(notification);
    const found = notifyJobOf(notification);
    if (found) await this.deps.outbox.dispatch(this.platform.name, found.job, found.key);
  }

  /**
   * Refreshes every copy of a request's card to its current state (through the queue when connected). For the
   * button handlers: a refused click (already decided, not eligible) must still leave the card showing the truth.
   */
  syncCards(requestId: string): Promise<void> {
    return this.deps.outbox.dispatch(this.platform.name, { requestId, event: 'sync' }, 'sync');
  }

  /** The approver's daily digest, by direct message where this platform reaches them. Never throws. */
  async sendDigest(personId: string, items: DigestItem[]): Promise<void> {
    try {
      const policy = this.deps.policy.current();
      const [target] = await this.platform.directTargets(policy, [personId]);
      if (!target || items.length === 0) return;
      const sent = await this.platform.post(target, this.platform.digestMessage(buildDigest(items, policy, this.deps.clock.now(), DIGEST_MAX)));
      if (!sent.ok) this.deps.logger.warn({ personId, error: sent.error }, `${this.platform.name} refused the digest to ${personId} (${sent.error}): ${this.platform.hint(sent.error)}`);
    } catch (err) {
      this.deps.logger.warn({ err, personId }, `${this.platform.name}: the digest to ${personId} was not delivered`);
    }
  }

  /**
   * The guardrail alert, posted at once to the owner and each admin directly. Not through the `notify` queue: its
   * jobs are about one request's card, read back from the store, and this is about an account; nor recorded, as
   * there is no card to update later. A refusal is logged; a failure reaches the fan-out, which logs it.
   */
  private async alertGuardrail(n: GuardrailTripped): Promise<void> {
    const policy = this.deps.policy.current();
    const targets = await this.platform.directTargets(policy, guardrailRecipients(policy, n, this.deps.clock.now()));
    const message = this.platform.alertMessage(buildGuardrailAlert(n));
    await settleAll(
      targets.map(async (target) => {
        const sent = await this.platform.post(target, message);
        if (!sent.ok) this.deps.logger.error({ serviceAccountId: n.serviceAccountId, channel: target.channel, error: sent.error }, `${this.platform.name} refused the guardrail alert to ${target.recipientId} (${sent.error}): ${this.platform.hint(sent.error)}`);
      }),
    );
  }

  /** One job: what the queue's worker and the inline path run. */
  async deliver(job: NotifyJob): Promise<void> {
    switch (job.event) {
      case 'request.pending': {
        const state = await this.load(job.requestId);
        if (!state) return;
        const targets = [...this.channelTargets(state), ...(await this.approverTargets(state)), ...(await this.requesterTargets(state))];
        await this.post(state, targets);
        await this.settle(job.requestId, state.fingerprint);
        return;
      }
      case 'breakglass.used': {
        const state = await this.load(job.requestId);
        if (!state) return;
        // One copy per person: a reviewer who is also in breakGlass.notify gets one card (with the review on it).
        const targets = [...(await this.breakGlassTargets(state)), ...(await this.reviewerTargets(state)), ...(await this.requesterTargets(state))];
        await this.post(state, targets, { loud: true });
        await this.settle(job.requestId, state.fingerprint);
        return;
      }
      case 'breakglass.reviewed':
        await this.settle(job.requestId);
        return;
      case 'breakglass.review_reminder':
        return this.remindReviewers(job.requestId);
      case 'request.escalated': {
        const state = await this.load(job.requestId);
        if (!state) return;
        if (state.request.status === 'PENDING' && job.level !== undefined) await this.post(state, await this.escalationTargets(state, job.level), { loud: true });
        await this.settle(job.requestId);
        return;
      }
      case 'request.reminder':
        return this.nudge(job.requestId);
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

  private async load(requestId: string): Promise<ChatSnapshot | null> {
    const request = await this.deps.store.getRequest(requestId);
    if (!request) return null;
    const decisions = await this.deps.store.listDecisions(requestId);
    const policy = this.deps.policy.current();
    const now = this.deps.clock.now();
    const workflow = policy.workflows.get(request.workflow);
    const refs = [...(workflow ? escalationRefs(workflow) : []), ...(policy.breakGlass?.notify ?? [])];
    const external = (await onCallOf(policy, refs, now, this.deps.oncall)).people;
    return { request, decisions, policy, now, external, fingerprint: JSON.stringify(buildRequestCard(request, decisions, policy, now, undefined, external)) };
  }

  /**
   * Updates every copy to the current state, then reads the state again: if it moved meanwhile (another job,
   * another process), updates again. `shown`: the fingerprint the copies already show (just posted).
   */
  private async settle(requestId: string, shown?: string): Promise<ChatSnapshot | null> {
    let last: ChatSnapshot | null = null;
    for (let round = 0; round < SETTLE_ROUNDS; round++) {
      const state = await this.load(requestId);
      if (!state || state.fingerprint === shown) return state ?? last;
      const copies = await this.deps.store.listChatMessages(requestId, this.platform.name);
      // No copy to update, so none can show an older state than this one: looking again would only read it twice.
      if (copies.length === 0) return state;
      await settleAll(copies.map((copy) => this.update(state, copy)));
      shown = state.fingerprint;
      last = state;
    }
    return last;
  }

  /**
   * Posts the card to each target that has no copy yet (a retried job does not post twice) and records each copy.
   * `loud`: break-glass or escalation in a channel (never in a person's DM); `fresh`: a new copy even where one
   * exists (a reminder lands at the bottom of their chat), with the reminder line the options ask for.
   */
  private async post(state: ChatSnapshot, targets: ChatTarget[], options: ApprovalMessageOptions & { fresh?: boolean } = {}): Promise<void> {
    const { fresh, ...message } = options;
    const existing = fresh ? [] : await this.deps.store.listChatMessages(state.request.id, this.platform.name);
    const has = (t: ChatTarget) => existing.some((c) => (t.recipientId ? c.recipientId === t.recipientId : c.recipientId === null && c.channel === t.channel));
    const unique = targets.filter((t, i) => targets.findIndex((o) => o.channel === t.channel) === i && !has(t));
    await settleAll(
      unique.map(async (target) => {
        const sent = await this.platform.post(target, await this.render(state, target.recipientId, { ...message, loud: message.loud === true && !target.recipientId }));
        if (!sent.ok) return this.refused(state.request.id, target.channel, this.platform.methods.post, sent.error);
        await this.deps.store.saveChatMessage({ requestId: state.request.id, platform: this.platform.name, channel: sent.channel, messageId: sent.messageId, recipientId: target.recipientId });
      }),
    );
  }

  private async update(state: ChatSnapshot, copy: ChatMessageRecord): Promise<void> {
    const sent = await this.platform.update(copy, await this.render(state, copy.recipientId));
    if (!sent.ok) await this.refused(state.request.id, copy.channel, this.platform.methods.update, sent.error);
  }

  /** The requester's copy is their variant; everyone else's is the approval card, with the buttons they may use. */
  private async render(state: ChatSnapshot, recipientId: string | null, options: ApprovalMessageOptions = {}): Promise<M> {
    const viewer = recipientId ? personViewer(recipientId, this.platform.via) : undefined;
    const card = this.cardFor(state, viewer);
    if (viewer && speaksForRequester(state.policy, viewer, state.request)) return this.platform.requesterMessage(card);
    return this.platform.approvalMessage(card, state, options);
  }

  private cardFor(state: ChatSnapshot, viewer: Actor | undefined): RequestCard {
    return buildRequestCard(state.request, state.decisions, state.policy, state.now, viewer, state.external);
  }

  /** A short line after a transition; an active grant whose requester has no card yet (auto-approved) gets the card. */
  private async tellRequester(state: ChatSnapshot, job: NotifyJob): Promise<void> {
    const [target] = await this.requesterTargets(state);
    // The card shows every retry of a failing revoke; the requester hears about the first.
    if (!target || (job.event === 'grant.revoke_failed' && (job.attempt ?? 1) > 1)) return;
    const copies = await this.deps.store.listChatMessages(state.request.id, this.platform.name);
    if (state.request.status === 'ACTIVE' && !copies.some((c) => c.recipientId === target.recipientId)) return this.post(state, [target]);
    const card = this.cardFor(state, personViewer(target.recipientId!, this.platform.via));
    await this.send(state.request.id, target, this.platform.noteMessage(card, driftNote(job)));
  }

  /**
   * Halfway through a stage: a fresh copy of the card, with a reminder line, to each approver who may still act
   * and has not decided (it lands at the bottom of their chat; it is recorded, so it is updated like the others).
   */
  private async nudge(requestId: string): Promise<void> {
    const state = await this.load(requestId);
    if (!state || state.request.status !== 'PENDING') return;
    const owner = ownerOf(state.policy, state.request.requesterId);
    const decided = new Set(state.decisions.map((d) => d.approverId));
    const waiting = currentApprovers(state.policy, state.request, state.now, state.external).filter((id) => id !== owner && !decided.has(id));
    await this.post(state, await this.platform.directTargets(state.policy, waiting), { fresh: true, reminder: true });
  }

  /** The review still waits a day later: a fresh copy (recorded, so it is updated too) to each reviewer. */
  private async remindReviewers(requestId: string): Promise<void> {
    const state = await this.load(requestId);
    if (!state || state.request.reviewStatus !== 'PENDING') return;
    await this.post(state, await this.reviewerTargets(state), { fresh: true, reviewReminder: true });
  }

  private async remind(requestId: string): Promise<void> {
    const state = await this.load(requestId);
    const expiresAt = state?.request.expiresAt;
    const [target] = state ? await this.requesterTargets(state) : [];
    if (!state || !target || state.request.status !== 'ACTIVE' || !expiresAt) return;
    const minutesLeft = Math.max(1, Math.round((expiresAt.getTime() - state.now.getTime()) / 60_000));
    const card = this.cardFor(state, personViewer(target.recipientId!, this.platform.via));
    await this.send(requestId, target, this.platform.expiringMessage(card, minutesLeft));
  }

  private async send(requestId: string, target: ChatTarget, message: M): Promise<void> {
    const sent = await this.platform.post(target, message);
    if (!sent.ok) await this.refused(requestId, target.channel, this.platform.methods.post, sent.error);
  }

  private channelTargets(state: ChatSnapshot): ChatTarget[] {
    return this.platform.workflowChannels(state.policy, state.request.workflow).map((channel) => ({ channel, recipientId: null }));
  }

  private approverTargets(state: ChatSnapshot): Promise<ChatTarget[]> {
    const { policy, request, now, external } = state;
    const owner = ownerOf(policy, request.requesterId);
    return this.platform.directTargets(policy, currentApprovers(policy, request, now, external).filter((id) => id !== owner));
  }

  /**
   * The requester (a service account's owner) hears on this platform when they asked here, or asked for its
   * notifications (`notifyChannels`, DESIGN.md section 6).
   */
  private async requesterTargets(state: ChatSnapshot): Promise<ChatTarget[]> {
    const { policy, request } = state;
    const owner = ownerOf(policy, request.requesterId);
    if (!owner || (request.via !== this.platform.via && !request.notifyChannels.includes(this.platform.name))) return [];
    return this.platform.directTargets(policy, [owner]);
  }

  /** The break-glass review task: each current reviewer directly (never the requester). */
  private reviewerTargets(state: ChatSnapshot): Promise<ChatTarget[]> {
    return this.platform.directTargets(state.policy, currentReviewers(state.policy, state.request, state.now));
  }

  /** `breakGlass.notify`: people, groups and on-call directly; `channel:<platform>:<id>` in the channel. */
  private breakGlassTargets(state: ChatSnapshot): Promise<ChatTarget[]> {
    return this.notifyTargets(state, state.policy.breakGlass?.notify ?? []);
  }

  /**
   * An escalation step's targets (resolved now: who is on call at this moment) and the approvers it adds; people
   * who already have a copy see it updated rather than posted again.
   */
  private escalationTargets(state: ChatSnapshot, level: number): Promise<ChatTarget[]> {
    const step = state.policy.workflows.get(state.request.workflow)?.escalation[level - 1];
    const owner = ownerOf(state.policy, state.request.requesterId);
    return this.notifyTargets(state, [...(step?.notify ?? []), ...(step?.addApprovers ?? [])], owner);
  }

  /** Targets of notify references: `channel:<platform>:<id>` in the channel, everything else to each person directly. */
  private async notifyTargets(state: ChatSnapshot, refs: string[], except?: string): Promise<ChatTarget[]> {
    const channels = refs.flatMap((ref) => {
      const parsed = parseNotifyRef(ref);
      return parsed?.kind === 'channel' && parsed.platform === this.platform.name ? [{ channel: parsed.name, recipientId: null }] : [];
    });
    const people = [...expandPrincipals(state.policy, refs.filter((ref) => parseNotifyRef(ref)?.kind !== 'channel'), state.now, state.external)].filter((id) => id !== except);
    return [...channels, ...(await this.platform.directTargets(state.policy, people))];
  }

  /** The platform refused for good: say so once (log and audit), and carry on with the other copies. */
  private async refused(requestId: string, channel: string, method: string, error: string): Promise<void> {
    const key = `${requestId}|${channel}|${method}|${error}`;
    if (this.alerted.has(key)) return;
    if (this.alerted.size > 10_000) this.alerted.clear();
    this.alerted.add(key);
    const platform = this.platform.name;
    const hint = this.platform.hint(error);
    this.deps.logger.error({ requestId, channel, method, error }, `${platform} refused ${method} to ${channel} (${error}): ${hint}`);
    try {
      await this.deps.audit.appendAudit({ actor: 'stint', action: 'notify.failed', requestId, data: { platform, channel, method, error }, at: this.deps.clock.now() });
    } catch (err) {
      this.deps.logger.error({ err, requestId }, `could not audit a refused ${platform} message`);
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
