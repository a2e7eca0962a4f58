/**
 * "Your access to X ends in 10 minutes": sent to the requester when the reminder timer of the current grant
 * generation fires. A reminder for an older generation (the grant was extended since) or a grant that already
 * ended says nothing.
 */
import type { GrantPorts } from './ports.ts';

export async function remindExpiry(requestId: string, generation: number, ports: Pick<GrantPorts, 'store' | 'clock' | 'notifier'>): Promise<boolean> {
  const request = await ports.store.getRequest(requestId);
  if (!request || request.status !== 'ACTIVE' || request.generation !== generation || !request.expiresAt) return false;
  const msLeft = request.expiresAt.getTime() - ports.clock.now().getTime();
  if (msLeft <= 0) return false;
  await ports.notifier.notify({ kind: 'grant.expiring', request, minutesLeft: Math.max(1, Math.round(msLeft / 60_000)) });
  return true;
}
