/**
 * What Stint's modals share: reading a submitted form, the duration fields (a preset choice or a typed duration),
 * and answering a submission. A submission is answered in its ack, within Slack's 3 s (ack-budget.ts): a
 * refusal about a field shows under that field (`response_action: 'errors'`), any other refusal replaces the modal
 * with an explanation, success closes it. Follow-ups (a confirmation, refreshed cards, the Home tab) run after.
 */
import type { AckFn, types, ViewResponseAction, ViewStateValue, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { isStintError, type StintError } from '../domain/errors.ts';
import { withinAckBudget, type Settled } from './ack-budget.ts';
import { directMessage, failureText } from './click-reply.ts';
import { unknownUserMessage, type SlackIdentity } from './identity.ts';

export type FormValues = Record<string, Record<string, ViewStateValue>>;

/** The trimmed text of a `plain_text_input` ('' when empty); its action_id is its block_id unless said. */
export function textOf(values: FormValues, blockId: string, actionId = blockId): string {
  return values[blockId]?.[actionId]?.value?.trim() ?? '';
}

/** The chosen option's value of a select ('' when none); its action_id is its block_id unless said. */
export function choiceOf(values: FormValues, blockId: string, actionId = blockId): string {
  return values[blockId]?.[actionId]?.selected_option?.value ?? '';
}

export const DURATION_BLOCK = 'duration';
export const CUSTOM_DURATION_BLOCK = 'duration_custom';

/** A preset select and a free-text field; the typed duration wins when both are given. */
export function durationInputs(label: string, presets: string[], initial?: string): types.InputBlock[] {
  const option = (d: string) => ({ text: { type: 'plain_text' as const, text: d }, value: d });
  return [
    {
      type: 'input',
      block_id: DURATION_BLOCK,
      optional: true,
      label: { type: 'plain_text', text: label },
      element: {
        type: 'static_select',
        action_id: DURATION_BLOCK,
        placeholder: { type: 'plain_text', text: 'Choose' },
        options: presets.map(option),
        ...(initial ? { initial_option: option(initial) } : {}),
      },
    },
    {
      type: 'input',
      block_id: CUSTOM_DURATION_BLOCK,
      optional: true,
      label: { type: 'plain_text', text: 'Or type a duration' },
      hint: { type: 'plain_text', text: 'Like 45m, 1h30m or PT2H; this wins over the choice above.' },
      element: { type: 'plain_text_input', action_id: CUSTOM_DURATION_BLOCK, max_length: 20, placeholder: { type: 'plain_text', text: 'e.g. 90m' } },
    },
  ];
}

/** The duration asked for and the block to name in an error about it; null when neither field was filled. */
export function durationOf(values: FormValues): { duration: string; block: string } | null {
  const typed = textOf(values, CUSTOM_DURATION_BLOCK);
  if (typed) return { duration: typed, block: CUSTOM_DURATION_BLOCK };
  const chosen = choiceOf(values, DURATION_BLOCK);
  return chosen ? { duration: chosen, block: DURATION_BLOCK } : null;
}

/**
 * A modal about one request (Deny, Extend, Acknowledge review): the request id travels in `private_metadata`, which
 * the submission handler reads back; a context line names the request above the form's inputs.
 */
export function requestModal(form: { callbackId: string; requestId: string; title: string; submit: string; context: string; inputs: types.InputBlock[] }): types.ModalView {
  return {
    type: 'modal',
    callback_id: form.callbackId,
    private_metadata: form.requestId,
    title: { type: 'plain_text', text: form.title },
    submit: { type: 'plain_text', text: form.submit },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [{ type: 'context', elements: [{ type: 'mrkdwn', text: form.context }] }, ...form.inputs],
  };
}

/** A modal that only explains (the refusal that no field can fix). */
export function noticeView(title: string, text: string): types.ModalView {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: title.slice(0, 24) },
    close: { type: 'plain_text', text: 'Close' },
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }],
  };
}

export interface Submission {
  ack: AckFn<ViewResponseAction>;
  client: webApi.WebClient;
  slackUserId: string;
  identity: SlackIdentity;
  logger: Logger;
  /** The block that tells an unknown Slack user how to get in. */
  firstBlock: string;
  /** Title of the explanation that replaces the modal after a refusal no field can fix. */
  refusedTitle: string;
  /** Does it; answers what the person is sent afterwards (null: nothing, the cards and Home tell). */
  work(personId: string): Promise<string | null>;
  /** The block a refusal is about, or null when it is about none. */
  fieldOf(err: StintError): string | null;
  /** A modal that can satisfy this refusal (e.g. the step-up code), pushed on top of this one; null: none. */
  pushFor?(err: StintError): types.ModalView | null;
  /** This modal redrawn to answer the refusal (when no field of it can carry the message); null: none. */
  updateFor?(err: StintError): types.ModalView | null;
  /** Success closes every modal of the stack, not only this one (a pushed modal whose submission did the work). */
  closeAll?: boolean;
  /** After the answer, whatever the outcome (refresh cards, re-publish Home). */
  after?(): Promise<void>;
}

export async function answerSubmission(s: Submission): Promise<void> {
  const personId = await s.identity.personOf(s.slackUserId).catch(() => null);
  if (!personId) return s.ack({ response_action: 'errors', errors: { [s.firstBlock]: unknownUserMessage(s.slackUserId) } });
  const budgeted = await withinAckBudget(() => s.work(personId));
  let outcome: Settled<string | null>;
  if (budgeted.inTime) {
    outcome = budgeted.outcome;
    if (outcome.ok) await (s.closeAll ? s.ack({ response_action: 'clear' }) : s.ack());
    else {
      const field = isStintError(outcome.error) ? s.fieldOf(outcome.error) : null;
      const pushed = isStintError(outcome.error) ? (s.pushFor?.(outcome.error) ?? null) : null;
      const redrawn = isStintError(outcome.error) && !pushed && !field ? (s.updateFor?.(outcome.error) ?? null) : null;
      await s.ack(
        pushed
          ? { response_action: 'push', view: pushed }
          : redrawn
            ? { response_action: 'update', view: redrawn }
            : field && isStintError(outcome.error)
            ? { response_action: 'errors', errors: { [field]: outcome.error.message } }
            : { response_action: 'update', view: noticeView(s.refusedTitle, failureText(outcome.error, s.logger, 'Slack modal submission failed')) },
      );
      if (pushed) outcome = { ok: true, value: null };
    }
    if (outcome.ok && outcome.value) await tell(s, outcome.value);
  } else {
    // Too slow for the ack: close the modal now and send the outcome, whichever it is, when it comes.
    await s.ack();
    outcome = await budgeted.later;
    await tell(s, outcome.ok ? outcome.value : failureText(outcome.error, s.logger, 'Slack modal submission failed'));
  }
  await s.after?.().catch((err: unknown) => s.logger.warn({ err }, 'follow-up after a Slack modal submission failed'));
}

async function tell(s: Submission, text: string | null): Promise<void> {
  if (!text) return;
  await directMessage(s.client, s.slackUserId, text).catch((err: unknown) => s.logger.warn({ err }, 'could not send a Slack direct message'));
}
