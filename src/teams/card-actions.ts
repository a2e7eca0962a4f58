/**
 * Adaptive Card `Action.Execute` invokes (`adaptiveCard/action`, DESIGN.md section 6): Approve, Deny (with the
 * reason typed in the card), Done, Extend (with the chosen duration), Reveal, Acknowledge review (break-glass, with
 * an optional comment typed in the card), and the `refresh` Teams clients
 * send for each person in `refresh.userIds`. Each calls the same use case as Slack and REST, then answers with
 * the card as this person should now see it. A refusal (self-approval, not eligible, already decided) is an
 * HTTP 200 with the card and a line that explains — never a 4xx, which Teams shows as a broken card. `refresh`
 * never changes state. Updating every other copy is the notifier's job, after the answer (the use case notifies).
 */
import { randomBytes } from 'node:crypto';
import type { TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import type { Actor } from '../core/actor.ts';
import { acknowledgeReview, alreadyReviewedText } from '../core/acknowledge-review.ts';
import { decideRequest } from '../core/decide-request.ts';
import { endGrant } from '../core/end-grant.ts';
import { extendGrant } from '../core/extend-grant.ts';
import { onCallFor } from '../core/on-call-now.ts';
import type { ChatMessageStore, CorePorts, GrantPorts, TeamsDirectoryStore } from '../core/ports.ts';
import { revealCredential } from '../core/reveal-credential.ts';
import { canSee, speaksForRequester } from '../core/visibility.ts';
import { isStintError, type StintError } from '../domain/errors.ts';
import type { AccessRequest, Decision } from '../domain/request.ts';
import { buildRequestCard } from '../notify/request-view.ts';
import { approvalCard, credentialCard, DENY_REASON_INPUT, EXTEND_DURATION_INPUT, messageCard, MFA_CODE_INPUT, requesterCard, REVIEW_COMMENT_INPUT, VERB, type AdaptiveCard } from './cards.ts';
import { teamsActor } from './messages.ts';
import { unknownUserMessage } from './replies.ts';
import type { TeamsIdentity } from './teams-identity.ts';
import { refreshUserIds, TEAMS_PLATFORM } from './teams-notifier.ts';

export interface CardActionDeps {
  core: CorePorts;
  grants: GrantPorts;
  identity: TeamsIdentity;
  directory: Pick<TeamsDirectoryStore, 'teamsUsersOf'>;
  chatMessages: Pick<ChatMessageStore, 'listChatMessages'>;
  logger: Logger;
}

/** The body of the invoke response Teams expects for `adaptiveCard/action`. */
export interface CardActionResponse {
  statusCode: 200;
  type: 'application/vnd.microsoft.card.adaptive';
  value: AdaptiveCard;
}

interface ExecuteValue {
  action?: { type?: unknown; verb?: unknown; data?: Record<string, unknown> };
}

const REQUEST_ID = /^jit_[0-9A-Z]{26}$/;
const DENY_REASON_MAX = 500;

export async function answerCardAction(context: TurnContext, deps: CardActionDeps): Promise<CardActionResponse> {
  const action = (context.activity.value as ExecuteValue | undefined)?.action;
  const verb = typeof action?.verb === 'string' ? action.verb : '';
  const requestId = typeof action?.data?.requestId === 'string' ? action.data.requestId : '';
  if (action?.type !== 'Action.Execute' || !REQUEST_ID.test(requestId)) return cardOf(messageCard('⛔ This card is not one of Stint’s, or it is damaged: no request id in it.'));
  const personId = await deps.identity.personOf(context);
  if (!personId) return cardOf(messageCard(unknownUserMessage(context.activity.from?.aadObjectId).replace(/`/g, ''), requestId));
  const actor = teamsActor(personId);
  const conversationId = context.activity.conversation?.id ?? '';

  try {
    const done = await act(verb, actor, requestId, action?.data ?? {}, deps);
    if ('card' in done) return cardOf(done.card);
    return cardOf(await viewFor(actor, requestId, conversationId, deps, done.notice, done.known));
  } catch (err) {
    if (isStintError(err)) {
      const signInUrl = err.code === 'STEP_UP_REQUIRED' && typeof err.details?.url === 'string' ? err.details.url : undefined;
      const notice = signInUrl ? reLoginNotice(err) : `⛔ ${err.message}`;
      return cardOf(await viewFor(actor, requestId, conversationId, deps, notice, undefined, signInUrl).catch(() => messageCard(`⛔ ${err.message}`, requestId)));
    }
    const incident = randomBytes(4).toString('hex');
    deps.logger.error({ err, incident, verb, requestId }, 'Teams card action failed');
    return cardOf(messageCard(`⚠️ Something went wrong on our side. Quote ${incident} to your Stint admin.`, requestId));
  }
}

/** Step-up by OIDC re-login (issue 12): the card's "Sign in again" button opens the link; Approve again then counts. */
function reLoginNotice(err: StintError): string {
  const why = err.message.split(':')[0] ?? err.message;
  const code = err.details?.enrolled === true ? ', or type the code from your authenticator app' : '';
  return `🔐 ${why}: press Sign in again, then Approve again${code}.`;
}

/** The request and its decisions as a use case just returned them (no need to read them again for the answer). */
interface Known {
  request: AccessRequest;
  decisions: Decision[];
}

/** What a verb did: a notice above the refreshed card (with the state when the use case returned it), or a whole card. */
type Done = { notice?: string; known?: Known } | { card: AdaptiveCard };

async function act(verb: string, actor: Actor, requestId: string, data: Record<string, unknown>, deps: CardActionDeps): Promise<Done> {
  switch (verb) {
    case VERB.refresh:
      return {};
    case VERB.approve: {
      const mfaCode = typeof data[MFA_CODE_INPUT] === 'string' ? data[MFA_CODE_INPUT].trim() : null;
      const result = await decideRequest(actor, { requestId, verdict: 'approve', mfaCode }, deps.core);
      return { notice: result.changed ? '✅ You approved this request.' : 'You had already decided on this request.', known: result };
    }
    case VERB.deny: {
      const reason = typeof data[DENY_REASON_INPUT] === 'string' ? data[DENY_REASON_INPUT].trim().slice(0, DENY_REASON_MAX) : '';
      if (!reason) return { notice: '⛔ Say why you deny it: the requester sees the reason.' };
      const result = await decideRequest(actor, { requestId, verdict: 'deny', comment: reason }, deps.core);
      return { notice: result.changed ? '🚫 You denied this request.' : 'You had already decided on this request.', known: result };
    }
    case VERB.done:
      await endGrant(actor, { requestId, cause: 'done' }, deps.grants);
      return { notice: '🔒 Access is being removed.' };
    case VERB.extend: {
      const duration = typeof data[EXTEND_DURATION_INPUT] === 'string' ? data[EXTEND_DURATION_INPUT] : '';
      if (!duration) return { notice: '⛔ Choose how much longer.' };
      await extendGrant(actor, { requestId, duration }, deps.grants);
      return { notice: `⏩ Extended by ${duration}.` };
    }
    case VERB.reveal:
      return { card: credentialCard(requestId, await revealCredential(actor, requestId, deps.grants)) };
    case VERB.review: {
      const comment = typeof data[REVIEW_COMMENT_INPUT] === 'string' ? data[REVIEW_COMMENT_INPUT] : '';
      const result = await acknowledgeReview(actor, { requestId, comment }, deps.core);
      return { notice: result.changed ? '✅ You acknowledged this break-glass review.' : `${alreadyReviewedText(result.request)}.` };
    }
    default:
      return { notice: '⛔ This button is from another version of Stint; the card below is current.' };
  }
}

/**
 * The card as this person should see it now: the requester's variant, or the approval card with only the buttons
 * they may use. Someone who may not see the request gets the channel's plain copy when the card was posted in
 * this conversation (they already see it there), else a not-found line.
 */
async function viewFor(actor: Actor, requestId: string, conversationId: string, deps: CardActionDeps, notice?: string, known?: Known, signInUrl?: string): Promise<AdaptiveCard> {
  const request = known?.request ?? (await deps.core.store.getRequest(requestId));
  const policy = deps.core.policy.current();
  const now = deps.core.clock.now();
  const external = request ? (await onCallFor(policy, request, now, deps.core.oncall)).people : undefined;
  const visible = request !== null && canSee(policy, actor, request, now, external);
  if (!request || !external || (!visible && !(await postedHere(requestId, conversationId, deps)))) return messageCard(notice ?? `⛔ Request ${requestId} was not found, or you may not see it.`, requestId);
  const decisions = known?.decisions ?? (await deps.core.store.listDecisions(requestId));
  const card = buildRequestCard(request, decisions, policy, now, visible ? actor : undefined, external);
  const options = {
    refreshUserIds: await refreshUserIds(deps.directory, { request, decisions, policy, now, external }),
    ...(notice && { notice }),
    ...(deps.core.mfa?.reLogin && { signIn: true }),
    ...(signInUrl && { signInUrl }),
  };
  if (!visible) return approvalCard({ ...card, actions: [] }, options);
  return speaksForRequester(policy, actor, request) ? requesterCard(card, options) : approvalCard(card, options);
}

async function postedHere(requestId: string, conversationId: string, deps: CardActionDeps): Promise<boolean> {
  const channel = conversationId.split(';')[0];
  return (await deps.chatMessages.listChatMessages(requestId, TEAMS_PLATFORM)).some((copy) => copy.channel === channel);
}

function cardOf(card: AdaptiveCard): CardActionResponse {
  return { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card };
}
