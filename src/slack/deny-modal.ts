/**
 * Deny asks for a reason in a modal (DESIGN.md section 6): the Deny button opens it (private_metadata = the request
 * id) and its submission denies with that reason as the comment, through decideRequest like every surface. The
 * use case decides whether this person may deny now; a refusal replaces the modal with its explanation.
 */
import type { App, types, ViewSubmitAction } from '@slack/bolt';
import { decideRequest } from '../core/decide-request.ts';
import { getRequest } from '../core/list-requests.ts';
import { DENY_MODAL } from './action-ids.ts';
import { slackActor } from './commands.ts';
import { publishHome, requestBrief } from './home.ts';
import { refreshCardsOf, type InteractionDeps } from './interaction-deps.ts';
import { answerSubmission, requestModal, textOf } from './modal-forms.ts';

export const DENY_REASON_BLOCK = 'reason';
/** Shorter than this is not a reason the requester can act on. */
export const DENY_REASON_MIN = 5;

export function denyModal(requestId: string): types.ModalView {
  return requestModal({
    callbackId: DENY_MODAL,
    requestId,
    title: 'Deny request',
    submit: 'Deny',
    context: `Request \`${requestId}\``,
    inputs: [
      {
        type: 'input',
        block_id: DENY_REASON_BLOCK,
        label: { type: 'plain_text', text: 'Why do you deny it?' },
        hint: { type: 'plain_text', text: 'The requester sees this, and it goes into the audit log.' },
        element: { type: 'plain_text_input', action_id: DENY_REASON_BLOCK, multiline: true, min_length: DENY_REASON_MIN, max_length: 2000 },
      },
    ],
  });
}

export function registerDenyModal(app: App, deps: InteractionDeps): void {
  app.view<ViewSubmitAction>(DENY_MODAL, async ({ ack, body, view, client }) => {
    const requestId = view.private_metadata;
    const reason = textOf(view.state.values, DENY_REASON_BLOCK);
    if (reason.length < DENY_REASON_MIN) {
      return ack({ response_action: 'errors', errors: { [DENY_REASON_BLOCK]: `Say why in a few words (at least ${DENY_REASON_MIN} characters): the requester sees it` } });
    }
    await answerSubmission({
      ack,
      client,
      slackUserId: body.user.id,
      identity: deps.identity,
      logger: deps.logger,
      firstBlock: DENY_REASON_BLOCK,
      refusedTitle: 'Not denied',
      async work(personId) {
        const actor = slackActor(personId);
        const result = await decideRequest(actor, { requestId, verdict: 'deny', comment: reason }, deps.core);
        // The card and the Home tab show a deny that happened; only a no-op needs saying.
        return result.changed ? null : `You had already denied it: ${requestBrief(await getRequest(actor, requestId, deps.core))}`;
      },
      fieldOf: (err) => (err.code === 'COMMENT_REQUIRED' ? DENY_REASON_BLOCK : null),
      async after() {
        await refreshCardsOf(deps, requestId);
        await publishHome(client, body.user.id, deps);
      },
    });
  });
}
