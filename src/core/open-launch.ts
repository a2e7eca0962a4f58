/**
 * The two checks of a launch session through the SSH gateway (issue 8). At login: the token holder's own request,
 * ACTIVE, made with launch. On the shell: the resource's provider authorizes the key the gateway made in memory for
 * this one session, on the account the grant made, and says where to connect. Refusals are StintErrors whose message
 * goes to the audit, not to the SSH client (it learns only that it was refused).
 */
import { StintError } from '../domain/errors.ts';
import type { AccessRequest } from '../domain/request.ts';
import type { Actor } from './actor.ts';
import type { LaunchTarget, ProviderLookup, RequestStore } from './ports.ts';

export function checkLaunchLogin(actor: Actor, request: AccessRequest | null, requestId: string, now: Date): AccessRequest {
  if (!request) throw new StintError('NOT_FOUND', `no request ${requestId}`);
  if (request.requesterId !== actor.id) throw new StintError('FORBIDDEN', `${requestId} is ${request.requesterId}'s request, not ${actor.id}'s`);
  if (!request.launch) throw new StintError('NOT_ELIGIBLE', `${requestId} was not requested with launch (stint ssh)`);
  if (request.status !== 'ACTIVE') throw new StintError('NOT_PENDING', `${requestId} is ${request.status}, not ACTIVE`, { status: request.status });
  if (request.expiresAt && request.expiresAt.getTime() <= now.getTime()) throw new StintError('NOT_PENDING', `${requestId} expired at ${request.expiresAt.toISOString()}`);
  return request;
}

export interface AuthorizedLaunch {
  resourceId: string;
  target: LaunchTarget;
}

export async function authorizeLaunchKey(request: AccessRequest, publicKey: string, ports: { store: Pick<RequestStore, 'listGrantHandles'>; providers: ProviderLookup }): Promise<AuthorizedLaunch> {
  const [handle] = await ports.store.listGrantHandles(request.id);
  if (!handle) throw new StintError('UNAVAILABLE', `${request.id} has no grant to open a session on`);
  const provider = ports.providers.get(handle.provider);
  if (!provider.authorizeLaunch) throw new StintError('NOT_ELIGIBLE', `${handle.resourceId}'s provider (${handle.provider}) cannot open sessions through the gateway`);
  const target = await provider.authorizeLaunch(handle.config, handle.data, publicKey);
  // Fail closed: a target without pinned host keys would have the gateway trust whatever answers.
  if (target.hostKeys.length === 0) throw new StintError('NOT_ELIGIBLE', `${handle.resourceId} has no pinned host keys (knownHosts); the gateway will not connect`);
  return { resourceId: handle.resourceId, target };
}
