/**
 * Step-up in Slack (issue 12): when a `/jit request` or an Approve click needs the person's second factor, a modal
 * asks for the code from their authenticator app, and, where an OIDC issuer is configured, offers a "Sign in again"
 * button (the re-login link); its submission runs the same command again with the code (or with none, after the
 * re-login), through the same use case as every surface. What is pending travels in `private_metadata` (the command
 * text, or the request id to approve). A wrong or used code shows under the field; the modal stays open.
 */
import type { App, types, ViewSubmitAction } from '@slack/bolt';
import { parseCommand } from '../chat/parse-command.ts';
import { runChatCommand } from '../chat/run-command.ts';
import { createRequest } from '../core/create-request.ts';
import { decideRequest } from '../core/decide-request.ts';
import { getRequest } from '../core/list-requests.ts';
import { StintError } from '../domain/errors.ts';
import { STEP_UP_MODAL, STEP_UP_SIGN_IN } from './action-ids.ts';
import { slackActor, SLACK_FORMAT } from './commands.ts';
import { publishHome, requestBrief } from './home.ts';
import { refreshCardsOf, type InteractionDeps } from './interaction-deps.ts';
import { answerSubmission, textOf } from './modal-forms.ts';
import { escape } from './replies.ts';

export const MFA_CODE_BLOCK = 'mfa_code';

/** What the code unlocks: a `/jit` command to run again, the request form's fields, or an approval. */
export type PendingStepUp =
  | { kind: 'command'; text: string }
  | { kind: 'form'; resource: string; duration: string; reason: string; ticket: string }
  | { kind: 'approve'; requestId: string };

/** The modal for this refusal; `note` (a warning) when it is shown again because the last try did not do. */
export function stepUpModal(pending: PendingStepUp, refusal: StintError, note?: string): types.ModalView {
  const url = typeof refusal.details?.url === 'string' ? refusal.details.url : null;
  const enrolled = refusal.details?.enrolled === true;
  const blocks: types.KnownBlock[] = [{ type: 'context', elements: [{ type: 'mrkdwn', text: escape(refusal.message.split(':')[0] ?? refusal.message).slice(0, 2900) }] }];
  if (note) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `:warning: ${escape(note)}` }] });
  if (url) {
    blocks.push(
      {
        type: 'section',
        text: { type: 'mrkdwn', text: enrolled ? 'Sign in again with your company account, or type the code from your authenticator app below.' : 'Sign in again with your company account, then come back here and press the button below.' },
      },
      { type: 'actions', elements: [{ type: 'button', action_id: STEP_UP_SIGN_IN, text: { type: 'plain_text', text: 'Sign in again' }, url, style: 'primary' }] },
    );
  }
  if (enrolled || !url) {
    blocks.push({
      type: 'input',
      block_id: MFA_CODE_BLOCK,
      optional: Boolean(url),
      label: { type: 'plain_text', text: 'Code from your authenticator app' },
      hint: { type: 'plain_text', text: url ? 'The 6 digits it shows for Stint now; leave it empty after signing in again.' : 'The 6 digits it shows for Stint now. No app yet? Run stint mfa enroll.' },
      element: { type: 'plain_text_input', action_id: MFA_CODE_BLOCK, min_length: 6, max_length: 8, placeholder: { type: 'plain_text', text: '123456' } },
    });
  }
  return {
    type: 'modal',
    callback_id: STEP_UP_MODAL,
    private_metadata: JSON.stringify(pending),
    title: { type: 'plain_text', text: 'Confirm it is you' },
    submit: { type: 'plain_text', text: pending.kind === 'approve' ? 'Approve' : 'Request' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

/** The step-up this refusal asks for, when a modal can satisfy it (the person is enrolled, or can sign in again). */
export function wantsStepUp(err: unknown): err is StintError {
  return err instanceof StintError && err.code === 'STEP_UP_REQUIRED' && (err.details?.enrolled === true || typeof err.details?.url === 'string');
}

export function registerStepUpModal(app: App, deps: InteractionDeps): void {
  // The link button opens the browser; Slack still reports the click, and an unanswered one shows an error.
  app.action(STEP_UP_SIGN_IN, async ({ ack }) => ack());
  app.view<ViewSubmitAction>(STEP_UP_MODAL, async ({ ack, body, view, client }) => {
    const pending = JSON.parse(view.private_metadata) as PendingStepUp;
    const mfaCode = textOf(view.state.values, MFA_CODE_BLOCK);
    // Slack sends every input block of the view in state.values (an empty optional one with a null value).
    const hasCodeField = MFA_CODE_BLOCK in view.state.values;
    await answerSubmission({
      ack,
      client,
      slackUserId: body.user.id,
      identity: deps.identity,
      logger: deps.logger,
      firstBlock: MFA_CODE_BLOCK,
      refusedTitle: 'Not done',
      async work(personId) {
        const actor = slackActor(personId);
        if (pending.kind === 'approve') {
          const result = await decideRequest(actor, { requestId: pending.requestId, verdict: 'approve', mfaCode }, deps.core);
          const line = requestBrief(await getRequest(actor, pending.requestId, deps.core));
          return result.changed ? `Approved: ${line}` : `You had already approved it (counted once): ${line}`;
        }
        if (pending.kind === 'form') {
          // Pushed over the request form: the same input as that form, with the code.
          const input = { identityId: personId, scopes: [pending.resource], duration: pending.duration, reason: pending.reason, mfaCode, ...(pending.ticket ? { ticket: pending.ticket } : {}) };
          const result = await createRequest(actor, input, deps.core);
          return `${result.request.status === 'PENDING' ? 'Requested' : 'Approved'}: ${requestBrief(await getRequest(actor, result.request.id, deps.core))}`;
        }
        const parsed = parseCommand(pending.text);
        if (!parsed.ok || (parsed.command.verb !== 'request' && parsed.command.verb !== 'breakglass')) throw new StintError('INVALID_BODY', 'This form lost its command: run the /jit command again');
        return runChatCommand(actor, { ...parsed.command, mfaCode }, deps, SLACK_FORMAT);
      },
      // Without a code field (a re-login only), a refusal redraws the modal with a fresh link and a warning.
      fieldOf: (err) => (hasCodeField && (err.code === 'STEP_UP_FAILED' || err.code === 'RATE_LIMITED' || err.code === 'STEP_UP_REQUIRED') ? MFA_CODE_BLOCK : null),
      updateFor: (err) => (wantsStepUp(err) ? stepUpModal(pending, err, 'Not confirmed yet: press Sign in again and finish signing in (within 5 minutes of coming back), then press the button below.') : null),
      // Over the request form, success closes both modals.
      closeAll: pending.kind === 'form',
      async after() {
        if (pending.kind === 'approve') await refreshCardsOf(deps, pending.requestId);
        await publishHome(client, body.user.id, deps);
      },
    });
  });
}
