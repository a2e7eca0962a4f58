/**
 * What falls due next for a pending request (DESIGN.md section 5): halfway through each stage a reminder to the
 * approvers who have not decided, then the next escalation step (its `after` counts from the request's creation),
 * and after the last step the end of the approval window (TIMED_OUT). Pure: the position is the row's
 * `escalationLevel` and `nextActionAt` (a reminder already sent moved `nextActionAt` past the stage's middle).
 */
import type { AccessRequest } from '../domain/request.ts';
import type { PolicyWorkflow } from '../policy/model.ts';

export type EscalationAction =
  | { kind: 'remind'; level: number; at: Date }
  | { kind: 'step'; level: number; at: Date }
  | { kind: 'timeout'; at: Date };

/**
 * The next thing due for a PENDING request. `request.nextActionAt` undefined: the stage just began (creation or a
 * step reached), so its reminder is still to come.
 */
export function nextEscalationAction(request: Pick<AccessRequest, 'createdAt' | 'escalationLevel'> & { nextActionAt?: Date | null }, workflow: PolicyWorkflow): EscalationAction {
  const created = request.createdAt.getTime();
  const level = request.escalationLevel;
  const windowEnd = created + workflow.approvalWindowSec * 1000;
  const stageStart = level === 0 ? created : created + (workflow.escalation[level - 1]?.afterSec ?? 0) * 1000;
  const step = workflow.escalation[level];
  const stepAt = step ? created + step.afterSec * 1000 : undefined;
  const end: EscalationAction = stepAt !== undefined && stepAt < windowEnd ? { kind: 'step', level: level + 1, at: new Date(stepAt) } : { kind: 'timeout', at: new Date(windowEnd) };
  const middle = stageStart + Math.floor((end.at.getTime() - stageStart) / 2);
  const reminded = request.nextActionAt !== undefined && request.nextActionAt !== null && request.nextActionAt.getTime() > middle;
  return reminded ? end : { kind: 'remind', level, at: new Date(middle) };
}

/** The timer key of an action (`r<level>` a reminder, `l<level>` a step, `window` the end): one alarm per action. */
export function escalationKey(action: EscalationAction): string {
  if (action.kind === 'remind') return `r${action.level}`;
  return action.kind === 'step' ? `l${action.level}` : 'window';
}
