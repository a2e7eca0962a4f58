/**
 * An admin suspends a service account by hand: its tokens are refused and it can ask for nothing until an admin
 * lifts it (unsuspend-service-account.ts). Grants it holds run their course; a guardrail trip
 * (trip-guardrail.ts) is what also takes them back. Suspending a suspended account changes nothing.
 */
import { StintError } from '../domain/errors.ts';
import { actsAsAdmin, type Actor } from './actor.ts';
import type { Clock, PolicySource, ServiceAccountRecord, ServiceAccountStore } from './ports.ts';

export interface ServiceAccountPorts {
  accounts: ServiceAccountStore;
  policy: PolicySource;
  clock: Clock;
}

export async function suspendServiceAccount(actor: Actor, input: { serviceAccountId: string; comment: string }, ports: ServiceAccountPorts): Promise<ServiceAccountRecord> {
  const { ownerId, current } = await accountFor(actor, input.serviceAccountId, ports);
  const comment = input.comment.trim();
  if (!comment) throw new StintError('COMMENT_REQUIRED', 'Say why the account is suspended (comment): the owner and later admins read it');
  if (current?.suspended) return current;
  const at = ports.clock.now();
  const audit = { actor: actor.id, action: 'serviceaccount.suspended', data: { serviceAccountId: input.serviceAccountId, comment }, at };
  return ports.accounts.setSuspension(input.serviceAccountId, ownerId, { at, reason: comment }, [audit]);
}

/** Admins only; the account must be in the policy (404 otherwise). */
export async function accountFor(actor: Actor, serviceAccountId: string, ports: ServiceAccountPorts): Promise<{ ownerId: string; current: ServiceAccountRecord | null }> {
  const policy = ports.policy.current();
  if (!actsAsAdmin(policy, actor)) throw new StintError('FORBIDDEN', 'Only an admin can suspend or unsuspend a service account');
  const account = policy.serviceAccounts.get(serviceAccountId);
  if (!account) throw new StintError('NOT_FOUND', `No service account "${serviceAccountId}" in the policy; \`stint service-account list\` shows them`, { id: serviceAccountId });
  return { ownerId: account.owner, current: await ports.accounts.getServiceAccount(serviceAccountId) };
}
