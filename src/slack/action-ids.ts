/**
 * Wire names of Stint's Slack interactivity: button action_ids (the approval cards carry the plain ones, with
 * `value` = the request id), modal callback_ids and the resource picker's action_id. A view that shows buttons for
 * several requests (App Home) numbers them, because Slack refuses two equal action_ids in one view:
 * `stint_approve_home_3`. Handlers match both forms with `actionPattern`.
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
/** The request modal's resource picker (`external_select`): its options come from an `options` handler. */
export const RESOURCE_PICKER = 'stint_resource';

/** The n-th button of this kind on the Home tab. */
export function homeActionId(action: ActionName, n: number): string {
  return `${ACTION[action]}_home_${n}`;
}

/** Matches the card's action_id and the Home tab's numbered ones, nothing else (`stint_done` ≠ `stint_done_x`). */
export function actionPattern(action: ActionName): RegExp {
  return new RegExp(`^${ACTION[action]}(?:_home_\\d+)?$`);
}
