/**
 * Moves a PENDING request along its SLA (DESIGN.md sections 2 and 5): halfway through each stage the approvers
 * who have not decided are reminded; each escalation step that fell due is
 * reached once, in order — its level recorded on the row, audited, and its targets notified (resolved now: who is
 * on call at this moment) — and when the approval window ends the request becomes TIMED_OUT and the requester is
 * told. The row is locked and moved conditionally (invariant 2), so a timer firing twice, late, or alongside the
 * reconciler reaches each step exactly once; a request decided meanwhile is left alone (a decision cancels the
 * steps that remain). The next action is written to `nextActionAt` (the truth) and set as a timer.
 */
import { escalationRefs, expandPrincipals, ownerOf } from '../policy/index.ts';
import { escalationKey, nextEscalationAction } from './escalation.ts';
import { onCallOf } from './on-call-now.ts';
import type { CorePorts, Notification } from './ports.ts';
import { currentApprovers } from './visibility.ts';

export type EscalateOutcome = 'reminded' | 'escalated' | 'timed_out' | 'nothing';

export type EscalatePorts = Pick<CorePorts, 'store' | 'policy' | 'clock' | 'notifier' | 'scheduler' | 'oncall'>;

/** Steps reached in one call at most (a request whose worker was down through several steps catches up in order). */
const MAX_STEPS_PER_CALL = 20;

export async function escalateRequest(requestId: string, ports: EscalatePorts): Promise<EscalateOutcome> {
  let outcome: EscalateOutcome = 'nothing';
  for (let i = 0; i < MAX_STEPS_PER_CALL; i++) {
    const step = await advanceOnce(requestId, ports);
    if (step.outcome === 'nothing') break;
    outcome = step.outcome;
    // Go on only to catch up (a worker that was down through several steps): a next action still to come has
    // its timer, and looking again would cost a locked transaction for nothing.
    if (step.outcome === 'timed_out' || !step.timer || step.timer.at > ports.clock.now()) break;
  }
  return outcome;
}

interface Advance {
  outcome: EscalateOutcome;
  notification?: Notification;
  /** The alarm for the next action, set once the transaction committed. */
  timer?: { key: string; at: Date };
}

async function advanceOnce(requestId: string, ports: EscalatePorts): Promise<Advance> {
  const policy = ports.policy.current();
  const now = ports.clock.now();
  // Who is on call in PagerDuty/Opsgenie rotations is asked before the row lock (I/O, cached per minute by
  // src/oncall); a policy without external rotations asks nothing.
  const onCall = await onCallOf(policy, [...policy.workflows.values()].flatMap(escalationRefs), now, ports.oncall);

  const result = await ports.store.transaction(async (tx): Promise<Advance> => {
    const request = await tx.lockRequest(requestId);
    if (!request || request.status !== 'PENDING') return { outcome: 'nothing' };
    const workflow = policy.workflows.get(request.workflow);
    if (!workflow) return { outcome: 'nothing' };
    const action = nextEscalationAction(request, workflow);
    if (action.at > now) {
      // Not due (an early or stale timer): make sure the row and the alarm say when it is.
      if (request.nextActionAt?.getTime() !== action.at.getTime()) await tx.transition(request.id, 'PENDING', 'PENDING', { nextActionAt: action.at });
      return { outcome: 'nothing', timer: { key: escalationKey(action), at: action.at } };
    }
    if (action.kind === 'timeout') {
      const patch = { decidedAt: now, decidedBy: 'stint', nextActionAt: null, statusReason: 'nobody decided within the approval window' };
      if (!(await tx.transition(request.id, 'PENDING', 'TIMED_OUT', patch))) return { outcome: 'nothing' };
      tx.appendAudit({ actor: 'stint', action: 'request.timed_out', requestId: request.id, data: { approvalWindowSec: workflow.approvalWindowSec, escalationLevel: request.escalationLevel }, at: now });
      return { outcome: 'timed_out', notification: { kind: 'request.timed_out', request: { ...request, ...patch, status: 'TIMED_OUT' } } };
    }
    if (action.kind === 'remind') {
      const next = nextEscalationAction({ ...request, nextActionAt: new Date(action.at.getTime() + 1) }, workflow);
      if (!(await tx.transition(request.id, 'PENDING', 'PENDING', { nextActionAt: next.at }))) return { outcome: 'nothing' };
      const owner = ownerOf(policy, request.requesterId);
      const decided = new Set((await tx.listDecisions(request.id)).map((d) => d.approverId));
      const approverIds = currentApprovers(policy, request, now, onCall.people).filter((id) => id !== owner && !decided.has(id));
      tx.appendAudit({ actor: 'stint', action: 'request.reminded', requestId: request.id, data: { level: action.level, approvers: approverIds }, at: now });
      return {
        outcome: 'reminded',
        notification: { kind: 'request.reminder', request: { ...request, nextActionAt: next.at }, approverIds },
        timer: { key: escalationKey(next), at: next.at },
      };
    }
    const reached = { ...request, escalationLevel: action.level };
    const next = nextEscalationAction({ createdAt: reached.createdAt, escalationLevel: reached.escalationLevel }, workflow);
    if (!(await tx.transition(request.id, 'PENDING', 'PENDING', { escalationLevel: action.level, nextActionAt: next.at }))) return { outcome: 'nothing' };
    const step = workflow.escalation[action.level - 1]!;
    const people = [...expandPrincipals(policy, step.notify.filter((ref) => !ref.startsWith('channel:')), now, onCall.people)];
    tx.appendAudit({
      actor: 'stint',
      action: 'request.escalated',
      requestId: request.id,
      data: {
        level: action.level,
        afterSec: step.afterSec,
        notify: step.notify,
        people,
        addApprovers: step.addApprovers,
        dueAt: action.at.toISOString(),
        ...(onCall.failed.size > 0 ? { onCallUnknown: Object.fromEntries(onCall.failed) } : {}),
      },
      at: now,
    });
    return {
      outcome: 'escalated',
      notification: { kind: 'request.escalated', request: { ...reached, nextActionAt: next.at }, level: action.level, notify: step.notify, people },
      timer: { key: escalationKey(next), at: next.at },
    };
  });

  // A next action already due is taken by the caller's loop now: no alarm for it.
  if (result.timer && (result.outcome === 'nothing' || result.timer.at > ports.clock.now())) await ports.scheduler.escalateAt(requestId, result.timer.key, result.timer.at);
  if (result.notification) await ports.notifier.notify(result.notification);
  return result;
}
