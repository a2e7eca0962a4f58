/**
 * "Acknowledge review" on a break-glass card opens this modal (like Deny's): an optional comment for the audit log
 * and the cards, then acknowledgeReview decides whether this person may acknowledge it now (a reviewer, not the
 * requester); a refusal replaces the modal with its explanation, a repeat says who acknowledged it when.
 */
import type { App, types, ViewSubmitAction } from '@slack/bolt';
import { acknowledgeReview, alreadyReviewedText, REVIEW_COMMENT_MAX } from '../core/acknowledge-review.ts';
import { REVIEW_MODAL } from './action-ids.ts';
import { slackActor } from './commands.ts';
import { publishHome } from './home.ts';
import { refreshCardsOf, type InteractionDeps } from './interaction-deps.ts';
import { answerSubmission, requestModal, textOf } from './modal-forms.ts';

export const REVIEW_COMMENT_BLOCK = 'comment';

export function reviewModal(requestId: string): types.ModalView {
  return requestModal({
    callbackId: REVIEW_MODAL,
    requestId,
    title: 'Break-glass review',
    submit: 'Acknowledge',
    context: `Request \`${requestId}\`: acknowledge once you have looked at what was done with this access.`,
    inputs: [
      {
        type: 'input',
        block_id: REVIEW_COMMENT_BLOCK,
        optional: true,
        label: { type: 'plain_text', text: 'Comment (optional)' },
        hint: { type: 'plain_text', text: 'What you checked. It goes into the audit log and onto every copy of the card.' },
        element: { type: 'plain_text_input', action_id: REVIEW_COMMENT_BLOCK, multiline: true, max_length: REVIEW_COMMENT_MAX },
      },
    ],
  });
}

export function registerReviewModal(app: App, deps: InteractionDeps): void {
  app.view<ViewSubmitAction>(REVIEW_MODAL, async ({ ack, body, view, client }) => {
    const requestId = view.private_metadata;
    const comment = textOf(view.state.values, REVIEW_COMMENT_BLOCK);
    await answerSubmission({
      ack,
      client,
      slackUserId: body.user.id,
      identity: deps.identity,
      logger: deps.logger,
      firstBlock: REVIEW_COMMENT_BLOCK,
      refusedTitle: 'Not acknowledged',
      async work(personId) {
        const result = await acknowledgeReview(slackActor(personId), { requestId, comment }, deps.core);
        // The cards show an acknowledgement that happened; only a repeat needs saying.
        return result.changed ? null : `${alreadyReviewedText(result.request)} (\`${requestId}\`)`;
      },
      fieldOf: () => null,
      async after() {
        await refreshCardsOf(deps, requestId);
        await publishHome(client, body.user.id, deps);
      },
    });
  });
}
