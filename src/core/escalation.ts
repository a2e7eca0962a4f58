/**
 * When a pending request's next escalation step or the end of its approval window falls due (DESIGN.md section 5):
 * each step's `after` counts from the request's creation; the window's end makes it TIMED_OUT. Pure.
 */
import type { AccessRequest } from '../domain/request.ts';
import type { PolicyWorkflow } from '../policy/model.ts';

export type EscalationAction = { kind: 'step'; level: number; at: Date } | { kind: 'timeout'; at: Date };

/** The next thing due for a PENDING request at escalation level `request.escalationLevel`. */
export function nextEscalationAction(request: Pick<AccessRequest, 'createdAt' | 'escalationLevel'>, workflow: PolicyWorkflow): EscalationAction {
  const created = request.createdAt.getTime();
  const windowEnd = new Date(created + workflow.approvalWindowSec * 1000);
  const step = workflow.escalation[request.escalationLevel];
  if (step && created + step.afterSec * 1000 < windowEnd.getTime()) {
    return { kind: 'step', level: request.escalationLevel + 1, at: new Date(created + step.afterSec * 1000) };
  }
  return { kind: 'timeout', at: windowEnd };
}

/** The timer key of an action (`l<level>` for a step, `window` for the end): one alarm per action. */
export function escalationKey(action: EscalationAction): string {
  return action.kind === 'step' ? `l${action.level}` : 'window';
}
