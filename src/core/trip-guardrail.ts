/**
 * A guardrail trips on a service account (DESIGN.md section 2, revoke cause `guardrail`): the account is
 * suspended first where the policy says `onGuardrail: suspend` (its tokens are refused and it can ask for nothing
 * new from that moment), then every APPROVED or ACTIVE request of it is revoked through revokeGrant and every
 * PENDING one cancelled, as offboarding does; the owner and the admins are told loudly. Who may trip: admins, and
 * tokens with the `introspect` scope — resource servers are the enforcement points that see misuse.
 *
 * A second trip is harmless: an account already suspended stays as it was (the first suspension's time and reason
 * are kept), the trip itself is audited again, and there is nothing left to end.
 */
import { StintError, isStintError, isUnderwayUnavailable } from '../domain/errors.ts';
import type { AccessRequest } from '../domain/request.ts';
import { actsAsAdmin, hasScope, type Actor } from './actor.ts';
import type { AuditInput, AuditReader, GrantPorts, ServiceAccountStore } from './ports.ts';
import { revokeGrant } from './revoke-grant.ts';

export interface GuardrailPorts extends GrantPorts {
  accounts: ServiceAccountStore;
  audit: Pick<AuditReader, 'appendAudit'>;
}

export interface TripGuardrailInput {
  serviceAccountId: string;
  reason: string;
  /** The policy guardrail that matched (core/check-guardrails.ts); absent for a trip by hand. */
  rule?: string;
  /** The request whose use tripped it, recorded on the audit event. */
  requestId?: string;
  /** Anything else worth recording on `guardrail.tripped` (the resource server, the scope asked). */
  context?: Record<string, unknown>;
}

export interface TripGuardrailResult {
  serviceAccountId: string;
  suspended: boolean;
  /** Requests whose revocation started (REVOKED, or REVOKING while a provider retries). */
  revoked: string[];
  cancelled: string[];
}

export async function tripGuardrail(actor: Actor, input: TripGuardrailInput, ports: GuardrailPorts): Promise<TripGuardrailResult> {
  if (!actsAsAdmin(ports.policy.current(), actor) && !hasScope(actor, 'introspect')) {
    throw new StintError('FORBIDDEN', 'Only an admin or a resource server (a token with the "introspect" scope) can trip a guardrail', { scope: 'introspect' });
  }
  return applyTrip(actor.id, input, ports);
}

/** The trip itself, for callers that already decided it must happen (a matching policy rule). */
export async function applyTrip(actorId: string, input: TripGuardrailInput, ports: GuardrailPorts): Promise<TripGuardrailResult> {
  const policy = ports.policy.current();
  const account = policy.serviceAccounts.get(input.serviceAccountId);
  if (!account) {
    throw new StintError('NOT_FOUND', `No service account "${input.serviceAccountId}" in the policy; \`stint service-account list\` shows them`, { id: input.serviceAccountId });
  }
  const reason = input.reason.trim();
  if (!reason) throw new StintError('COMMENT_REQUIRED', 'Say why the guardrail trips (reason): it is audited and sent to the owner and the admins');
  const now = ports.clock.now();

  const open = await ports.store.listOpenRequestsOf([account.id]);
  const tripped: AuditInput = {
    actor: actorId,
    action: 'guardrail.tripped',
    requestId: input.requestId ?? null,
    data: { serviceAccountId: account.id, reason, rule: input.rule ?? null, onGuardrail: account.onGuardrail, requests: open.map((r) => r.id), ...input.context },
    at: now,
  };
  let suspended = false;
  if (account.onGuardrail === 'suspend') {
    const row = await ports.accounts.getServiceAccount(account.id);
    if (row?.suspended) {
      await ports.audit.appendAudit({ ...tripped, data: { ...tripped.data, alreadySuspended: true } });
    } else {
      const suspension: AuditInput = { actor: actorId, action: 'serviceaccount.suspended', data: { serviceAccountId: account.id, comment: reason, rule: input.rule ?? null }, at: now };
      await ports.accounts.setSuspension(account.id, account.owner, { at: now, reason }, [tripped, suspension]);
    }
    suspended = true;
  } else {
    await ports.audit.appendAudit(tripped);
  }

  // Listed again after the suspension: a request created in between is ended too (none can start after it).
  const revoked: string[] = [];
  const cancelled: string[] = [];
  for (const request of await ports.store.listOpenRequestsOf([account.id])) {
    if (request.status === 'PENDING') {
      if (await cancelPending(request.id, actorId, reason, ports)) cancelled.push(request.id);
    } else if (await revokeForGuardrail(request.id, actorId, reason, ports)) {
      revoked.push(request.id);
    }
  }
  await ports.notifier.notify({ kind: 'guardrail.tripped', serviceAccountId: account.id, ownerId: account.owner, reason, rule: input.rule ?? null, actorId, suspended, revoked, cancelled, at: now });
  return { serviceAccountId: account.id, suspended, revoked, cancelled };
}

/** PENDING → CANCELLED as offboarding does it (the requester's own cancel would refuse an admin or a resource server). */
async function cancelPending(requestId: string, actorId: string, reason: string, ports: GuardrailPorts): Promise<boolean> {
  const now = ports.clock.now();
  const cancelled = await ports.store.transaction(async (tx): Promise<AccessRequest | null> => {
    const locked = await tx.lockRequest(requestId);
    if (locked?.status !== 'PENDING') return null;
    const patch = { decidedAt: now, decidedBy: actorId, nextActionAt: null };
    if (!(await tx.transition(locked.id, 'PENDING', 'CANCELLED', patch))) return null;
    tx.appendAudit({ actor: actorId, action: 'request.cancelled', requestId, data: { cause: 'guardrail', comment: reason }, at: now });
    return { ...locked, ...patch, status: 'CANCELLED' };
  });
  if (cancelled) await ports.notifier.notify({ kind: 'request.cancelled', request: cancelled, actorId });
  return cancelled !== null;
}

/** True when the revocation started; a provider that fails leaves it REVOKING, retried by the reconciler. */
async function revokeForGuardrail(requestId: string, actorId: string, reason: string, ports: GuardrailPorts): Promise<boolean> {
  try {
    await revokeGrant(requestId, 'guardrail', actorId, ports, reason);
    return true;
  } catch (err) {
    if (isUnderwayUnavailable(err)) return true;
    // It ended on its own meanwhile (expired, done, another trip): nothing left to take back.
    if (isStintError(err) && (err.code === 'NOT_PENDING' || err.code === 'NOT_FOUND')) return false;
    throw err;
  }
}
