/**
 * Wire names of Stint's Slack interactivity: button action_ids (the approval cards carry the plain ones, with
 * `value` = the request id), modal callback_ids and the resource picker's action_id. A view that shows buttons for
 * several requests (App Home, the approvers' digest) numbers them, because Slack refuses two equal action_ids in
 * one view or message: `stint_approve_home_3`, `stint_approve_list_3`. Handlers match every form with `actionPattern`.
 */

export const ACTION = {
  approve: 'stint_approve',
  deny: 'stint_deny',
  done: 'stint_done',
  extend: 'stint_extend',
  reveal: 'stint_reveal',
  acknowledge: 'stint_review',
} as const;

export type ActionName = keyof typeof ACTION;

export const DENY_MODAL = 'stint_deny_modal';
export const EXTEND_MODAL = 'stint_extend_modal';
export const REVIEW_MODAL = 'stint_review_modal';
export const REQUEST_MODAL = 'stint_request_modal';
/** Asks for the authenticator code when a workflow wants step-up (issue 12). */
export const STEP_UP_MODAL = 'stint_step_up_modal';
/** The step-up modal's "Sign in again" link button (OIDC re-login): Slack reports the click, which only needs an ack. */
export const STEP_UP_SIGN_IN = 'stint_step_up_sign_in';
/** The request modal's resource picker (`external_select`): its options come from an `options` handler. */
export const RESOURCE_PICKER = 'stint_resource';

/** The n-th button of this kind on the Home tab. */
export function homeActionId(action: ActionName, n: number): string {
  return `${ACTION[action]}_home_${n}`;
}

/** The n-th button of this kind in a message listing several requests (the approvers' digest). */
export function listActionId(action: ActionName, n: number): string {
  return `${ACTION[action]}_list_${n}`;
}

/** Matches the card's action_id and the numbered ones of Home and lists, nothing else (`stint_done` ≠ `stint_done_x`). */
export function actionPattern(action: ActionName): RegExp {
  return new RegExp(`^${ACTION[action]}(?:_(?:home|list)_\\d+)?$`);
}
