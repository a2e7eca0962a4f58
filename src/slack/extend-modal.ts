/**
 * Extend asks by how much in a modal: the Extend button opens it (private_metadata = the request id) and its
 * submission calls extendGrant, which keeps the grant within maxDuration and decides whether this person may
 * extend it alone. A refusal about the duration (unparseable, too long, needs an approver) shows under the field.
 */
import type { App, types, ViewSubmitAction } from '@slack/bolt';
import { extendGrant } from '../core/extend-grant.ts';
import { getRequest } from '../core/list-requests.ts';
import { EXTEND_MODAL } from './action-ids.ts';
import { slackActor } from './commands.ts';
import { publishHome, requestBrief } from './home.ts';
import { refreshCardsOf, type InteractionDeps } from './interaction-deps.ts';
import { answerSubmission, DURATION_BLOCK, durationInputs, durationOf, requestModal } from './modal-forms.ts';

export const EXTEND_PRESETS = ['30m', '1h', '2h', '4h'];
const DURATION_CODES = new Set(['INVALID_DURATION', 'DURATION_TOO_LONG', 'NOT_ELIGIBLE']);

export function extendModal(requestId: string): types.ModalView {
  return requestModal({
    callbackId: EXTEND_MODAL,
    requestId,
    title: 'Extend access',
    submit: 'Extend',
    context: `Request \`${requestId}\`: the grant ends later by the time you choose.`,
    inputs: durationInputs('How much longer?', EXTEND_PRESETS),
  });
}

export function registerExtendModal(app: App, deps: InteractionDeps): void {
  app.view<ViewSubmitAction>(EXTEND_MODAL, async ({ ack, body, view, client }) => {
    const requestId = view.private_metadata;
    const asked = durationOf(view.state.values);
    if (!asked) return ack({ response_action: 'errors', errors: { [DURATION_BLOCK]: 'Choose how much longer, or type a duration' } });
    await answerSubmission({
      ack,
      client,
      slackUserId: body.user.id,
      identity: deps.identity,
      logger: deps.logger,
      firstBlock: asked.block,
      refusedTitle: 'Not extended',
      async work(personId) {
        const actor = slackActor(personId);
        await extendGrant(actor, { requestId, duration: asked.duration }, deps.grants);
        return `Extended by ${asked.duration}: ${requestBrief(await getRequest(actor, requestId, deps.core))}`;
      },
      fieldOf: (err) => (DURATION_CODES.has(err.code) ? asked.block : null),
      async after() {
        await refreshCardsOf(deps, requestId);
        await publishHome(client, body.user.id, deps);
      },
    });
  });
}
