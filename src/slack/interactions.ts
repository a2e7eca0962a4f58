/**
 * The buttons on approval cards and on the App Home tab (action-ids.ts; `value` = the request id). Each click is
 * acked at once, then authorised by the use case it calls, at click time against the current policy (invariant 3:
 * self-approval, eligibility and "already decided" are the use cases' refusals, not this file's). The clicker alone
 * is told what happened (an ephemeral message, or the re-published Home tab) and the request's cards are refreshed
 * to their true state, after a refused click as after a successful one. A repeated approval is counted once
 * (decideRequest answers `changed: false`). Deny, Extend and Acknowledge review open a modal (deny-modal.ts,
 * extend-modal.ts, review-modal.ts).
 * Reveal answers with the password in an ephemeral message only, through a client that logs nothing (invariant 6).
 */
import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs, types } from '@slack/bolt';
import type { Actor } from '../core/actor.ts';
import { decideRequest } from '../core/decide-request.ts';
import { endGrant } from '../core/end-grant.ts';
import { getRequest } from '../core/list-requests.ts';
import { revealCredential, type RevealedCredential } from '../core/reveal-credential.ts';
import { actionPattern } from './action-ids.ts';
import { canWhisper, failureText, originOf, quietClient, whisper, type ClickOrigin, type EphemeralMessage } from './click-reply.ts';
import { slackActor } from './commands.ts';
import { denyModal, registerDenyModal } from './deny-modal.ts';
import { extendModal, registerExtendModal } from './extend-modal.ts';
import { registerReviewModal, reviewModal } from './review-modal.ts';
import { registerStepUpModal, stepUpModal, wantsStepUp } from './step-up-modal.ts';
import { publishHome, requestBrief } from './home.ts';
import { unknownUserMessage } from './identity.ts';
import { refreshCardsOf, type InteractionDeps } from './interaction-deps.ts';
import { escape } from './replies.ts';

export type { InteractionDeps } from './interaction-deps.ts';

type ButtonClick = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

export function registerInteractions(app: App, deps: InteractionDeps): void {
  app.action<BlockAction<ButtonAction>>(actionPattern('approve'), async (click) => {
    await click.ack();
    await act(click, deps, async (actor, requestId) => {
      try {
        const result = await decideRequest(actor, { requestId, verdict: 'approve' }, deps.core);
        const line = requestBrief(await getRequest(actor, requestId, deps.core));
        return result.changed ? `Approved: ${line}` : `You had already approved it (counted once): ${line}`;
      } catch (err) {
        // A risky request's approval needs the approver's second factor (issue 12): the modal asks for the code.
        if (!wantsStepUp(err)) throw err;
        await click.client.views.open({ trigger_id: click.body.trigger_id, view: stepUpModal({ kind: 'approve', requestId }, err) });
        return null;
      }
    });
  });

  app.action<BlockAction<ButtonAction>>(actionPattern('done'), async (click) => {
    await click.ack();
    await act(click, deps, async (actor, requestId) => {
      await endGrant(actor, { requestId, cause: 'done' }, deps.grants);
      return `Done, access removed: ${requestBrief(await getRequest(actor, requestId, deps.core))}`;
    });
  });

  // Trigger ids live 3 s: the modal opens before anything else; the submission does the checking.
  app.action<BlockAction<ButtonAction>>(actionPattern('deny'), async (click) => {
    await click.ack();
    await openModal(click, deps, denyModal(click.action.value ?? ''));
  });
  app.action<BlockAction<ButtonAction>>(actionPattern('extend'), async (click) => {
    await click.ack();
    await openModal(click, deps, extendModal(click.action.value ?? ''));
  });
  app.action<BlockAction<ButtonAction>>(actionPattern('acknowledge'), async (click) => {
    await click.ack();
    await openModal(click, deps, reviewModal(click.action.value ?? ''));
  });

  app.action<BlockAction<ButtonAction>>(actionPattern('reveal'), async (click) => {
    await click.ack();
    await reveal(click, deps);
  });

  registerDenyModal(app, deps);
  registerExtendModal(app, deps);
  registerReviewModal(app, deps);
  registerStepUpModal(app, deps);
}

/** Runs the click's use case as the clicker, then tells them the outcome and refreshes the request's cards. */
/** `work` answers what to tell the clicker, or null when it already answered (a modal it opened). */
async function act(click: ButtonClick, deps: InteractionDeps, work: (actor: Actor, requestId: string) => Promise<string | null>): Promise<void> {
  const origin = originOf(click.body);
  const requestId = click.action.value ?? '';
  const personId = await deps.identity.personOf(origin.userId).catch(() => null);
  if (!personId) return answer(click, deps, origin, unknownUserMessage(origin.userId));
  let text: string | null;
  try {
    text = await work(slackActor(personId), requestId);
  } catch (err) {
    text = failureText(err, deps.logger, 'Slack button failed');
  }
  if (text === null) return;
  await refreshCardsOf(deps, requestId);
  await answer(click, deps, origin, text);
}

async function openModal(click: ButtonClick, deps: InteractionDeps, view: types.ModalView): Promise<void> {
  try {
    await click.client.views.open({ trigger_id: click.body.trigger_id, view });
  } catch (err) {
    await answer(click, deps, originOf(click.body), failureText(err, deps.logger, 'could not open a Slack modal'));
  }
}

async function reveal(click: ButtonClick, deps: InteractionDeps): Promise<void> {
  const origin = originOf(click.body);
  const requestId = click.action.value ?? '';
  // Checked before minting: a password nobody can be shown privately is never made.
  if (!canWhisper(origin)) {
    return answer(click, deps, origin, "Credentials are shown only in a message only you can see: use the request's card, or `stint creds <id>`.");
  }
  const personId = await deps.identity.personOf(origin.userId).catch(() => null);
  if (!personId) return answer(click, deps, origin, unknownUserMessage(origin.userId));
  let credentials: RevealedCredential[];
  try {
    credentials = await revealCredential(slackActor(personId), requestId, deps.grants);
  } catch (err) {
    await refreshCardsOf(deps, requestId);
    return answer(click, deps, origin, failureText(err, deps.logger, 'Slack credential reveal failed'));
  }
  try {
    await whisper(quietClient(click.client), click.respond, origin, credentialMessage(requestId, credentials));
  } catch (err) {
    // Only the error's own message: the request that failed carried the password.
    deps.logger.warn({ requestId, reason: err instanceof Error ? err.message : 'unknown' }, 'could not deliver a revealed credential to Slack; it was not shown');
  }
}

/** What the clicker alone sees: an ephemeral message, or the Home tab re-published with it on top. */
async function answer(click: ButtonClick, deps: InteractionDeps, origin: ClickOrigin, text: string): Promise<void> {
  try {
    if (origin.home) await publishHome(click.client, origin.userId, deps, text);
    else await whisper(click.client, click.respond, origin, { text });
  } catch (err) {
    deps.logger.warn({ err }, 'could not answer a Slack click');
  }
}

function credentialMessage(requestId: string, credentials: RevealedCredential[]): EphemeralMessage {
  const lines = credentials.map((c) => {
    const until = `<!date^${Math.floor(c.expiresAt.getTime() / 1000)}^{date_short_pretty} {time}|${c.expiresAt.toISOString()}>`;
    const hint = c.hint ? `\n    ${escape(c.hint)}` : '';
    return `• *${escape(c.resourceId)}*: user \`${escape(c.username)}\` · password \`${escape(c.password)}\` · valid until ${until}${hint}`;
  });
  const lead = `:key: Credentials for \`${requestId}\`, shown to you only and only now: Stint keeps no copy (revealing again makes a new password).`;
  return { text: [lead, ...lines].join('\n') };
}
