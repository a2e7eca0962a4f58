/**
 * `/jit` with no arguments opens the request modal (DESIGN.md section 6): a resource picker that lists only what this
 * person may request, a duration, a reason and an optional ticket. The picker is an `external_select` fed by an
 * `options` handler; a resource written as a glob (`dev-*`) needs a concrete name, so what the person types is
 * offered when it matches one they may request. The submission calls createRequest within the ack: its refusals
 * show under the field they are about; success closes the modal and DMs the requester the request line.
 */
import type { App, types, ViewSubmitAction, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { createRequest } from '../core/create-request.ts';
import { getRequest } from '../core/list-requests.ts';
import type { CorePorts, PolicySource } from '../core/ports.ts';
import { formatDuration } from '../domain/duration.ts';
import type { StintError } from '../domain/errors.ts';
import { TICKET_PATTERN } from '../domain/request.ts';
import { canRequest, resolveScope, type Policy } from '../policy/index.ts';
import { REQUEST_MODAL, RESOURCE_PICKER } from './action-ids.ts';
import { slackActor } from './commands.ts';
import { requestBrief } from './home.ts';
import type { SlackIdentity } from './identity.ts';
import { stepUpModal, wantsStepUp } from './step-up-modal.ts';
import { answerSubmission, choiceOf, durationInputs, durationOf, DURATION_BLOCK, textOf } from './modal-forms.ts';

export interface RequestModalDeps {
  core: CorePorts;
  identity: SlackIdentity;
  logger: Logger;
}

export const RESOURCE_BLOCK = 'resource';
export const REASON_BLOCK = 'reason';
export const TICKET_BLOCK = 'ticket';
export const REQUEST_PRESETS = ['15m', '30m', '1h', '2h', '4h'];
/** Slack's limits: 100 options, 75 characters of option text, 150 of value. */
const MAX_OPTIONS = 100;
const OPTION_TEXT_MAX = 75;
const OPTION_VALUE_MAX = 150;

const FIELD_OF_CODE: Record<string, string> = {
  UNKNOWN_SCOPE: RESOURCE_BLOCK,
  MIXED_WORKFLOWS: RESOURCE_BLOCK,
  NOT_ELIGIBLE: RESOURCE_BLOCK,
  COMMENT_REQUIRED: REASON_BLOCK,
  /** A workflow that checks tickets refused it (missing, unknown, wrong state): shown under the ticket field. */
  TICKET_INVALID: TICKET_BLOCK,
};

/** Opens the modal (call it first thing: the trigger id lives 3 s). */
export async function openRequestModal(client: webApi.WebClient, triggerId: string, policy: PolicySource): Promise<void> {
  let current: Policy | undefined;
  try {
    current = policy.current();
  } catch {
    // No policy loaded: the modal opens anyway; the submission gets the UNAVAILABLE answer that explains.
  }
  await client.views.open({ trigger_id: triggerId, view: requestModal(current) });
}

export function requestModal(policy: Policy | undefined): types.ModalView {
  // Globs have no resolvable id of their own (resolveScope refuses them): those are the names to type in full.
  const patterns = policy ? policy.resources.filter((r) => !resolveScope(policy, r.id)).map((r) => r.id) : [];
  const hint = patterns.length > 0 ? `Start typing. For ${patterns.slice(0, 5).join(', ')}, type the full name (e.g. ${example(patterns[0]!)}).` : 'Start typing to search.';
  return {
    type: 'modal',
    callback_id: REQUEST_MODAL,
    title: { type: 'plain_text', text: 'Request access' },
    submit: { type: 'plain_text', text: 'Request' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: RESOURCE_BLOCK,
        label: { type: 'plain_text', text: 'Resource' },
        hint: { type: 'plain_text', text: hint.slice(0, 2000) },
        element: { type: 'external_select', action_id: RESOURCE_PICKER, min_query_length: 0, placeholder: { type: 'plain_text', text: 'What do you need?' } },
      },
      ...durationInputs('For how long?', REQUEST_PRESETS, '1h'),
      {
        type: 'input',
        block_id: REASON_BLOCK,
        label: { type: 'plain_text', text: 'Why?' },
        hint: { type: 'plain_text', text: 'Approvers read this; a ticket key as the first word is picked up.' },
        element: { type: 'plain_text_input', action_id: REASON_BLOCK, multiline: true, max_length: 2000 },
      },
      {
        type: 'input',
        block_id: TICKET_BLOCK,
        optional: true,
        label: { type: 'plain_text', text: 'Ticket' },
        element: { type: 'plain_text_input', action_id: TICKET_BLOCK, max_length: 64, placeholder: { type: 'plain_text', text: 'INC-1234' } },
      },
    ],
  };
}

/**
 * The picker's options for this person and what they typed: the concrete resources they may request whose id
 * contains it, and the typed name itself when it matches a glob resource they may request.
 */
export function resourceOptions(policy: Policy, personId: string, typed: string, now: Date): types.PlainTextOption[] {
  const query = typed.trim();
  const options: types.PlainTextOption[] = [];
  const offer = (id: string, maxSec: number, pattern?: string) => {
    const text = `${id}${pattern ? ` (${pattern})` : ''} · up to ${formatDuration(maxSec)}`;
    options.push({ text: { type: 'plain_text', text: text.length > OPTION_TEXT_MAX ? `${text.slice(0, OPTION_TEXT_MAX - 1)}…` : text }, value: id });
  };
  const typedScope = query && !/\s/.test(query) && query.length <= OPTION_VALUE_MAX ? resolveScope(policy, query) : undefined;
  if (typedScope && typedScope.resource.id !== query && canRequest(policy, personId, typedScope, now)) offer(query, typedScope.resource.maxDurationSec, typedScope.resource.id);
  for (const resource of policy.resources) {
    const scope = resolveScope(policy, resource.id);
    if (!scope || scope.resource !== resource || resource.id.length > OPTION_VALUE_MAX) continue;
    if (!resource.id.toLowerCase().includes(query.toLowerCase()) || !canRequest(policy, personId, scope, now)) continue;
    offer(resource.id, resource.maxDurationSec);
  }
  return options.slice(0, MAX_OPTIONS);
}

export function registerRequestModal(app: App, deps: RequestModalDeps): void {
  app.options<'block_suggestion'>({ action_id: RESOURCE_PICKER }, async ({ ack, body }) => {
    const personId = await deps.identity.personOf(body.user.id).catch(() => null);
    if (!personId) return ack({ options: [] });
    try {
      await ack({ options: resourceOptions(deps.core.policy.current(), personId, body.value ?? '', deps.core.clock.now()) });
    } catch (err) {
      deps.logger.error({ err }, 'could not list resources for the Slack request modal');
      await ack({ options: [] });
    }
  });

  app.view<ViewSubmitAction>(REQUEST_MODAL, async ({ ack, body, view, client }) => {
    const values = view.state.values;
    const resource = choiceOf(values, RESOURCE_BLOCK, RESOURCE_PICKER);
    const asked = durationOf(values);
    const reason = textOf(values, REASON_BLOCK);
    const ticket = textOf(values, TICKET_BLOCK);
    const errors: Record<string, string> = {};
    if (!resource) errors[RESOURCE_BLOCK] = 'Choose a resource';
    if (!asked) errors[DURATION_BLOCK] = 'Choose or type for how long';
    if (!reason) errors[REASON_BLOCK] = 'Say why you need access';
    if (ticket && !TICKET_PATTERN.test(ticket)) errors[TICKET_BLOCK] = 'A ticket key looks like INC-1234 (letters, a dash, digits)';
    if (!asked || Object.keys(errors).length > 0) return ack({ response_action: 'errors', errors });

    await answerSubmission({
      ack,
      client,
      slackUserId: body.user.id,
      identity: deps.identity,
      logger: deps.logger,
      firstBlock: RESOURCE_BLOCK,
      refusedTitle: 'Not requested',
      async work(personId) {
        const actor = slackActor(personId);
        const input = { identityId: personId, scopes: [resource], duration: asked.duration, reason, ...(ticket ? { ticket } : {}) };
        const result = await createRequest(actor, input, deps.core);
        const shown = await getRequest(actor, result.request.id, deps.core);
        const lead = shown.status === 'PENDING' ? 'Requested' : shown.status === 'DENIED' ? 'Denied' : 'Approved';
        const why = result.deniedBecause ? `\n${result.deniedBecause}` : '';
        return [`${lead}: ${requestBrief(shown)}${why}`, ...result.warnings.map((w) => `:information_source: ${w}`)].join('\n');
      },
      fieldOf: (err: StintError) => (err.code === 'INVALID_DURATION' || err.code === 'DURATION_TOO_LONG' ? asked.block : (FIELD_OF_CODE[err.code] ?? null)),
      // Step-up (issue 12): the code modal goes on top of this form and creates the request with the same fields.
      pushFor: (err: StintError) => (wantsStepUp(err) ? stepUpModal({ kind: 'form', resource, duration: asked.duration, reason, ticket }, err) : null),
    });
  });
}

/** `dev-*` → `dev-payments`-like: the pattern with its wildcards filled in. */
function example(pattern: string): string {
  return pattern.replace(/\*/g, 'name').replace(/\?/g, 'x');
}
