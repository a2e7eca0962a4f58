/**
 * Moves a PENDING request along its SLA (DESIGN.md sections 2 and 5): halfway through each stage the approvers
 * who have not decided are reminded; each escalation step that fell due is
 * reached once, in order — its level recorded on the row, audited, and its targets notified (resolved now: who is
 * on call at this moment) — and when the approval window ends the request becomes TIMED_OUT and the requester is
 * told. The row is locked and moved conditionally (invariant 2), so a timer firing twice, late, or alongside the
 * reconciler reaches each step exactly once; a request decided meanwhile is left alone (a decision cancels the
 * steps that remain). The next action is written to `nextActionAt` (the truth) and set as a timer.
 */
import { expandPrincipals, ownerOf } from '../policy/index.ts';
import { escalationKey, nextEscalationAction } from './escalation.ts';
import type { CorePorts, Notification } from './ports.ts';
import { currentApprovers } from './visibility.ts';

export type EscalateOutcome = 'reminded' | 'escalated' | 'timed_out' | 'nothing';

export type EscalatePorts = Pick<CorePorts, 'store' | 'policy' | 'clock' | 'notifier' | 'scheduler'>;

/** Steps reached in one call at most (a request whose worker was down through several steps catches up in order). */
const MAX_STEPS_PER_CALL = 20;

export async function escalateRequest(requestId: string, ports: EscalatePorts): Promise<EscalateOutcome> {
  let outcome: EscalateOutcome = 'nothing';
  for (let i = 0; i < MAX_STEPS_PER_CALL; i++) {
    const step = await advanceOnce(requestId, ports);
    if (step === 'nothing') break;
    outcome = step;
    if (step === 'timed_out') break;
  }
  return outcome;
}

async function advanceOnce(requestId: string, ports: EscalatePorts): Promise<EscalateOutcome> {
  const policy = ports.policy.current();
  const now = ports.clock.now();
  let notification: Notification | null = null;
  let timer: { key: string; at: Date } | null = null;

  const outcome = await ports.store.transaction(async (tx): Promise<EscalateOutcome> => {
    const request = await tx.lockRequest(requestId);
    if (!request || request.status !== 'PENDING') return 'nothing';
    const workflow = policy.workflows.get(request.workflow);
    if (!workflow) return 'nothing';
    const action = nextEscalationAction(request, workflow);
    if (action.at > now) {
      // Not due (an early or stale timer): make sure the row and the alarm say when it is.
      if (request.nextActionAt?.getTime() !== action.at.getTime()) await tx.transition(request.id, 'PENDING', 'PENDING', { nextActionAt: action.at });
      timer = { key: escalationKey(action), at: action.at };
      return 'nothing';
    }
    if (action.kind === 'timeout') {
      const patch = { decidedAt: now, decidedBy: 'stint', nextActionAt: null, statusReason: 'nobody decided within the approval window' };
      if (!(await tx.transition(request.id, 'PENDING', 'TIMED_OUT', patch))) return 'nothing';
      tx.appendAudit({ actor: 'stint', action: 'request.timed_out', requestId: request.id, data: { approvalWindowSec: workflow.approvalWindowSec, escalationLevel: request.escalationLevel }, at: now });
      notification = { kind: 'request.timed_out', request: { ...request, ...patch, status: 'TIMED_OUT' } };
      return 'timed_out';
    }
    if (action.kind === 'remind') {
      const next = nextEscalationAction({ ...request, nextActionAt: new Date(action.at.getTime() + 1) }, workflow);
      if (!(await tx.transition(request.id, 'PENDING', 'PENDING', { nextActionAt: next.at }))) return 'nothing';
      const owner = ownerOf(policy, request.requesterId);
      const decided = new Set((await tx.listDecisions(request.id)).map((d) => d.approverId));
      const approverIds = currentApprovers(policy, request, now).filter((id) => id !== owner && !decided.has(id));
      tx.appendAudit({ actor: 'stint', action: 'request.reminded', requestId: request.id, data: { level: action.level, approvers: approverIds }, at: now });
      notification = { kind: 'request.reminder', request: { ...request, nextActionAt: next.at }, approverIds };
      timer = { key: escalationKey(next), at: next.at };
      return 'reminded';
    }
    const reached = { ...request, escalationLevel: action.level };
    const next = nextEscalationAction({ createdAt: reached.createdAt, escalationLevel: reached.escalationLevel }, workflow);
    if (!(await tx.transition(request.id, 'PENDING', 'PENDING', { escalationLevel: action.level, nextActionAt: next.at }))) return 'nothing';
    const step = workflow.escalation[action.level - 1]!;
    const people = [...expandPrincipals(policy, step.notify.filter((ref) => !ref.startsWith('channel:')), now)];
    tx.appendAudit({
      actor: 'stint',
      action: 'request.escalated',
      requestId: request.id,
      data: { level: action.level, afterSec: step.afterSec, notify: step.notify, people, addApprovers: step.addApprovers, dueAt: action.at.toISOString() },
      at: now,
    });
    notification = { kind: 'request.escalated', request: { ...reached, nextActionAt: next.at }, level: action.level, notify: step.notify, people };
    timer = { key: escalationKey(next), at: next.at };
    return 'escalated';
  });

  if (timer) {
    const { key, at } = timer as { key: string; at: Date };
    await ports.scheduler.escalateAt(requestId, key, at);
  }
  if (notification) await ports.notifier.notify(notification);
  return outcome;
}
