/**
 * People ending access early: the requester says done (cause `done`), or an admin or an approver of the
 * workflow takes it back (cause `revoked`). Both go through revokeGrant; a provider that fails leaves the
 * request REVOKING (retried by the reconciler), which is what the caller is shown.
 */
import { StintError, isUnderwayUnavailable } from '../domain/errors.ts';
import type { AccessRequest, RevokeCause } from '../domain/request.ts';
import { actsAsAdmin, type Actor } from './actor.ts';
import type { GrantPorts } from './ports.ts';
import { revokeGrant } from './revoke-grant.ts';
import { visibleNow } from './on-call-now.ts';
import { currentApprovers, speaksForRequester } from './visibility.ts';

export interface EndGrantInput {
  requestId: string;
  cause: Extract<RevokeCause, 'done' | 'revoked'>;
  comment?: string | null;
}

export async function endGrant(actor: Actor, input: EndGrantInput, ports: GrantPorts): Promise<AccessRequest> {
  const policy = ports.policy.current();
  const now = ports.clock.now();
  const { request, onCall } = await visibleNow(policy, actor, await ports.store.getRequest(input.requestId), input.requestId, now, ports.oncall);
  if (input.cause === 'done' && !speaksForRequester(policy, actor, request)) {
    throw new StintError('FORBIDDEN', 'Only the requester says done; approvers and admins revoke instead');
  }
  if (input.cause === 'revoked' && !actsAsAdmin(policy, actor) && !currentApprovers(policy, request, now, onCall.people).includes(actor.id)) {
    throw new StintError('FORBIDDEN', 'Only an admin or an approver of this workflow can revoke; the requester says done');
  }
  try {
    return await revokeGrant(request.id, input.cause, actor.id, ports, input.comment?.trim() || null);
  } catch (err) {
    // The revoke is underway and will be retried: answer with the request as it stands (REVOKING). When it could
    // not even be recorded (the database too busy), the caller must hear that and try again.
    if (!isUnderwayUnavailable(err)) throw err;
    const now = await ports.store.getRequest(request.id);
    if (now?.status !== 'REVOKING' && now?.status !== 'REVOKED') throw err;
    return now;
  }
}
