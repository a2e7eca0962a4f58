/**
 * Does whatever is due for one request now: escalate a PENDING one or time it out, activate an APPROVED one,
 * revoke an ACTIVE one whose expiry has come, retry a REVOKING one. The one entry point of the workers' jobs and of the reconciler's sweep, so a
 * timer firing late, twice, or for an expiry that an extension moved does the right thing (or nothing).
 */
import { isUnderwayUnavailable } from '../domain/errors.ts';
import type { AccessRequest } from '../domain/request.ts';
import { activateGrant } from './activate-grant.ts';
import { escalateRequest } from './escalate-request.ts';
import type { GrantPorts } from './ports.ts';
import { revokeGrant } from './revoke-grant.ts';

export type AdvanceOutcome = 'reminded' | 'escalated' | 'timed_out' | 'activated' | 'grant_failed' | 'revoked' | 'retrying' | 'busy' | 'nothing';

/** `known`: the request as the caller read it a moment ago (a job's worker), instead of reading it again. */
export async function advanceRequest(requestId: string, ports: GrantPorts, known?: AccessRequest | null): Promise<AdvanceOutcome> {
  const request = known === undefined ? await ports.store.getRequest(requestId) : known;
  if (!request) return 'nothing';
  const now = ports.clock.now();
  if (request.status === 'PENDING') return escalateRequest(requestId, ports);
  if (request.status === 'APPROVED') {
    const { status } = await activateGrant(requestId, ports, request);
    return status === 'ACTIVE' ? 'activated' : status === 'GRANT_FAILED' ? 'grant_failed' : status === 'busy' ? 'busy' : 'nothing';
  }
  const due =
    (request.status === 'ACTIVE' && request.expiresAt !== null && request.expiresAt <= now) ||
    (request.status === 'REVOKING' && (request.nextActionAt === null || request.nextActionAt <= now));
  if (!due) return 'nothing';
  try {
    const after = await revokeGrant(requestId, request.revokeCause ?? 'expired', 'stint', ports);
    return after.status === 'REVOKED' ? 'revoked' : 'busy';
  } catch (err) {
    // A provider refused: the request stays REVOKING with its own retry. A busy database recorded nothing: the
    // job's own retry (seconds) comes sooner than the next sweep.
    if (isUnderwayUnavailable(err)) return 'retrying';
    throw err;
  }
}
