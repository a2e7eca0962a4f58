/**
 * An admin lifts a service account's suspension (by a guardrail or by hand): its tokens work again and it may ask
 * for access again. Grants revoked by the trip stay revoked. Lifting what is not suspended changes nothing.
 */
import type { Actor } from './actor.ts';
import type { ServiceAccountRecord } from './ports.ts';
import { accountFor, type ServiceAccountPorts } from './suspend-service-account.ts';

export async function unsuspendServiceAccount(actor: Actor, input: { serviceAccountId: string; comment?: string | null }, ports: ServiceAccountPorts): Promise<ServiceAccountRecord> {
  const { ownerId, current } = await accountFor(actor, input.serviceAccountId, ports);
  if (!current?.suspended) return current ?? { id: input.serviceAccountId, ownerId, suspended: false, suspendedAt: null, suspendedReason: null };
  const at = ports.clock.now();
  const data = { serviceAccountId: input.serviceAccountId, comment: input.comment?.trim() || null, suspendedReason: current.suspendedReason };
  return ports.accounts.setSuspension(input.serviceAccountId, ownerId, null, [{ actor: actor.id, action: 'serviceaccount.unsuspended', data, at }]);
}
