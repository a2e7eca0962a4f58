/**
 * Approve or deny a request. Invariant 2: the row is locked first, so two concurrent final approvals of an
 * N-of-M request cannot both see N−1; the move is a conditional update. Invariant 3: no self-approval (also
 * through a service account one owns), N distinct approvers, eligibility checked now against the current
 * policy. Invariant 4: the decision and its audit events commit together.
 */
import { ulid } from 'ulid';
import { StintError } from '../domain/errors.ts';
import { nextStatus, type AccessRequest, type Decision, type Verdict } from '../domain/request.ts';
import { ownerOf } from '../policy/index.ts';
import { requireScope, type Actor } from './actor.ts';
import { agentRefusal } from './agent-review.ts';
import type { CorePorts } from './ports.ts';
import { externalApproverRotationsExist, onCallNow, onCallUnavailable } from './on-call-now.ts';
import { canSee, currentApprovers, notFound } from './visibility.ts';
import { approverStepUp } from '../policy/step-up.ts';
import { verifyStepUp, type StepUpMethod } from './verify-step-up.ts';

export interface DecideRequestInput {
  requestId: string;
  verdict: Verdict;
  comment?: string | null;
  /** An agent approver's reasoning (MCP tools require it, so does REST for service accounts); audited. */
  reasoning?: string | null;
  /** The approver's authenticator code, when the workflow asks approvers of risky requests for step-up (issue 12). */
  mfaCode?: string | null;
}

export interface DecideRequestResult {
  request: AccessRequest;
  decisions: Decision[];
  /** False when this click changed nothing (the same approver's repeated decision). */
  changed: boolean;
}

export async function decideRequest(actor: Actor, input: DecideRequestInput, ports: CorePorts): Promise<DecideRequestResult> {
  const policy = ports.policy.current();
  const now = ports.clock.now();
  requireScope(actor, 'approve');
  const reasoning = input.reasoning?.trim() || null;
  const agent = actor.kind === 'service';
  if (agent && !reasoning) {
    throw new StintError('COMMENT_REQUIRED', 'An agent must give its reasoning for a decision (the `reasoning` field); it goes into the audit log');
  }
  // An agent's reasoning is what the requester and the card see as the comment when it gives none.
  const comment = input.comment?.trim() || (agent ? reasoning : null);
  // Asked before the row lock is taken (I/O), for this click: an approver who went off call may no longer approve.
  // Only this request's workflow's rotations (its workflow never changes), so another team's pager cannot slow it.
  const workflow = externalApproverRotationsExist(policy) ? (await ports.store.getRequest(input.requestId))?.workflow : undefined;
  const onCall = await onCallNow(policy, now, ports.oncall, workflow ? [workflow] : []);
  const refuse = (request: AccessRequest, error: StintError): StintError => onCallUnavailable(policy, request, onCall) ?? error;

  const stepUp = input.verdict === 'approve' ? await approverStepUpFor(actor, input, ports) : null;

  const result = await ports.store.transaction(async (tx) => {
    const row = await tx.lockRequest(input.requestId);
    if (!row || !canSee(policy, actor, row, now, onCall.people)) throw row ? refuse(row, notFound(input.requestId)) : notFound(input.requestId);
    const locked = row;
    const decisions = await tx.listDecisions(locked.id);
    const mine = decisions.find((d) => d.approverId === actor.id);
    // Idempotency is checked before the status: a repeated click answers the same, even after the request moved on.
    if (mine) {
      if (mine.verdict === input.verdict) return { request: locked, decisions, changed: false };
      throw new StintError('ALREADY_DECIDED', `You already ${mine.verdict === 'approve' ? 'approved' : 'denied'} this request; a decision cannot be changed`, {
        verdict: mine.verdict,
      });
    }
    if (actor.kind === 'person' && ownerOf(policy, locked.requesterId) === actor.id) {
      throw new StintError('SELF_APPROVAL', 'You cannot decide your own request; another approver must');
    }
    // Asked before the status: "agents never decide break-glass" is the answer, not "already approved".
    const agentRefused = agent ? agentRefusal(policy, actor, locked) : null;
    if (agentRefused) throw agentRefused;
    if (locked.status !== 'PENDING') throw notPending(locked);
    if (!agent && (actor.kind !== 'person' || !currentApprovers(policy, locked, now, onCall.people).includes(actor.id))) {
      throw refuse(locked, new StintError('NOT_ELIGIBLE', `${actor.id} is not an approver of workflow ${locked.workflow} under the current policy`, {
        workflow: locked.workflow,
      }));
    }
    if (input.verdict === 'deny' && !comment) {
      throw new StintError('COMMENT_REQUIRED', 'Say why you deny it: a comment is required, and the requester will see it');
    }

    const decision: Decision = { id: ulid(now.getTime()), requestId: locked.id, approverId: actor.id, verdict: input.verdict, comment, via: actor.via, at: now };
    if (!(await tx.insertDecision(decision))) {
      // Unreachable while the row lock is held; kept so a store without FOR UPDATE fails loudly, not twice.
      throw new StintError('ALREADY_DECIDED', 'You already decided this request');
    }
    const all = [...decisions, decision];
    const approvals = all.filter((d) => d.verdict === 'approve').length;
    const final = input.verdict === 'deny' || approvals >= locked.required;
    let request = locked;
    if (final) {
      const to = nextStatus(locked.status, input.verdict);
      // An approved request's next action is its activation, due now (the reconciler's backstop for the kick).
      // statusReason cleared: an escalation to a human said why it was waiting, which no longer holds.
      const patch = { decidedAt: now, decidedBy: actor.id, nextActionAt: to === 'APPROVED' ? now : null, statusReason: null };
      if (!(await tx.transition(locked.id, locked.status, to, patch))) {
        throw new StintError('NOT_PENDING', 'This request was decided by someone else a moment ago', { status: locked.status });
      }
      request = { ...locked, ...patch, status: to };
    }
    tx.appendAudit({
      actor: actor.id,
      action: input.verdict === 'approve' ? 'decision.approved' : 'decision.denied',
      requestId: locked.id,
      data: { comment, via: actor.via, approvals, required: locked.required, ...(agent ? { agent: true, reasoning } : {}), ...(stepUp ? { stepUp: stepUp.method } : {}) },
      at: now,
    });
    if (final) {
      tx.appendAudit({
        actor: actor.id,
        action: request.status === 'APPROVED' ? 'request.approved' : 'request.denied',
        requestId: locked.id,
        data: { approvers: all.filter((d) => d.verdict === 'approve').map((d) => d.approverId), comment },
        at: now,
      });
    }
    return { request, decisions: all, changed: true };
  });

  if (result.changed) {
    // Activation runs on a worker right away (the reconciler's sweep is the backstop: it is due in PostgreSQL).
    if (result.request.status === 'APPROVED') await ports.scheduler.activateSoon(result.request.id);
    // Also an approval that leaves it PENDING (1 of 2): every copy of the card shows who approved so far.
    await ports.notifier.notify({ kind: 'request.decided', request: result.request, actorId: actor.id });
  }
  return result;
}

function notPending(request: AccessRequest): StintError {
  const by = request.decidedBy ? ` by ${request.decidedBy}` : '';
  return new StintError('NOT_PENDING', `This request is already ${request.status}${by}; nothing to decide`, {
    status: request.status,
  });
}

/**
 * Step-up for this approval (issue 12): asked before the row lock (it is I/O and may wait for a person), only for a
 * request the approver may see, whose risk reaches the workflow's `stepUp.approvers.riskAtLeast`, and not again for
 * a repeated click (idempotent). A chat session alone can be hijacked: a high-risk approval needs the factor too.
 */
async function approverStepUpFor(actor: Actor, input: DecideRequestInput, ports: CorePorts): Promise<{ method: StepUpMethod } | null> {
  const policy = ports.policy.current();
  // No workflow asks approvers for a second factor (the usual case): no extra read on every approval.
  if (![...policy.workflows.values()].some((w) => w.stepUp?.approverRiskAtLeast !== undefined)) return null;
  const request = await ports.store.getRequest(input.requestId);
  const workflow = request ? policy.workflows.get(request.workflow) : undefined;
  if (!request || !workflow || request.status !== 'PENDING' || !approverStepUp(workflow, request.riskScore)) return null;
  if ((await ports.store.listDecisions(request.id)).some((d) => d.approverId === actor.id)) return null;
  const why = `Approving a request with risk ${request.riskScore} (workflow ${workflow.id} asks approvers from ${workflow.stepUp!.approverRiskAtLeast}) needs your second factor`;
  if (actor.kind !== 'person') throw new StintError('STEP_UP_REQUIRED', `${why}: only a person with an authenticator can approve it`, { enrolled: false, method: 'totp' });
  return verifyStepUp({ principalId: actor.id, code: input.mfaCode, purpose: `approval of ${request.id}`, why, requestId: request.id }, ports);
}
