/** The requester (or an admin) withdraws a request that is still PENDING. */
import { StintError } from '../domain/errors.ts';
import { nextStatus, type AccessRequest } from '../domain/request.ts';
import { actsAsAdmin, type Actor } from './actor.ts';
import type { CorePorts } from './ports.ts';
import { assertVisible, speaksForRequester } from './visibility.ts';

export async function cancelRequest(actor: Actor, input: { requestId: string; comment?: string | null }, ports: CorePorts): Promise<AccessRequest> {
  const policy = ports.policy.current();
  const now = ports.clock.now();
  const request = await ports.store.transaction(async (tx) => {
    const locked = assertVisible(policy, actor, await tx.lockRequest(input.requestId), input.requestId, now);
    if (!speaksForRequester(policy, actor, locked) && !actsAsAdmin(policy, actor)) throw new StintError('FORBIDDEN', 'Only the requester or an admin can cancel a request; approvers deny instead');
    const to = nextStatus(locked.status, 'cancel');
    const patch = { decidedAt: now, decidedBy: actor.id, nextActionAt: null };
    if (!(await tx.transition(locked.id, locked.status, to, patch))) {
      throw new StintError('NOT_PENDING', 'This request was decided a moment ago', { status: locked.status });
    }
    tx.appendAudit({ actor: actor.id, action: 'request.cancelled', requestId: locked.id, data: { comment: input.comment?.trim() || null }, at: now });
    return { ...locked, ...patch, status: to };
  });
  await ports.notifier.notify({ kind: 'request.cancelled', request, actorId: actor.id });
  return request;
}
