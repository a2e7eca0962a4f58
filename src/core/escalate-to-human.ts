/**
 * An agent approver hands a request to people (MCP `escalate_to_human`, issue 10): the request stays PENDING,
 * no agent may decide it any more (`humanOnly`), the card says who handed it over and why, and the workflow's
 * human approvers are nudged with a fresh copy. People may also call it (an approver who wants a colleague's
 * eyes): the effect is the same. A repeat answers the unchanged request.
 */
import { StintError } from '../domain/errors.ts';
import type { AccessRequest } from '../domain/request.ts';
import { ownerOf } from '../policy/index.ts';
import { requireScope, type Actor } from './actor.ts';
import { agentRefusal } from './agent-review.ts';
import type { CorePorts } from './ports.ts';
import { canSee, currentApprovers, notFound } from './visibility.ts';

export interface EscalateToHumanInput {
  requestId: string;
  reasoning: string;
}

export async function escalateToHuman(actor: Actor, input: EscalateToHumanInput, ports: CorePorts): Promise<{ request: AccessRequest; changed: boolean }> {
  const policy = ports.policy.current();
  const now = ports.clock.now();
  requireScope(actor, 'approve');
  const reasoning = input.reasoning.trim();
  if (!reasoning) throw new StintError('COMMENT_REQUIRED', 'Say why a human should decide (the `reasoning` field); the approvers will read it');

  const result = await ports.store.transaction(async (tx) => {
    const request = await tx.lockRequest(input.requestId);
    if (!request || !canSee(policy, actor, request, now)) throw notFound(input.requestId);
    if (request.humanOnly) return { request, changed: false };
    if (actor.kind === 'service') {
      const refused = agentRefusal(policy, actor, request);
      if (refused) throw refused;
    } else if (!currentApprovers(policy, request, now).includes(actor.id) || ownerOf(policy, request.requesterId) === actor.id) {
      throw new StintError('NOT_ELIGIBLE', `${actor.id} is not an approver of workflow ${request.workflow}`, { workflow: request.workflow });
    }
    if (request.status !== 'PENDING') {
      throw new StintError('NOT_PENDING', `This request is already ${request.status}; nothing to escalate`, { status: request.status });
    }
    const patch = { humanOnly: true, statusReason: `Escalated to a human by ${actor.id}: ${reasoning}` };
    if (!(await tx.transition(request.id, 'PENDING', 'PENDING', patch))) {
      throw new StintError('NOT_PENDING', 'This request was decided a moment ago', { status: request.status });
    }
    tx.appendAudit({
      actor: actor.id,
      action: 'request.escalated_to_human',
      requestId: request.id,
      data: { reasoning, via: actor.via, agent: actor.kind === 'service' },
      at: now,
    });
    return { request: { ...request, ...patch }, changed: true };
  });

  if (result.changed) {
    // The people who decide now get a fresh copy; every existing copy shows who handed it over and why.
    const owner = ownerOf(policy, result.request.requesterId);
    const approverIds = currentApprovers(policy, result.request, now).filter((id) => id !== owner);
    await ports.notifier.notify({ kind: 'request.reminder', request: result.request, approverIds });
  }
  return result;
}
