/**
 * The timers an ACTIVE grant needs: the revoke at expiry (keyed by generation, so an extension's new expiry is
 * a new alarm and the old one finds nothing due) and the "expires in 10 minutes" reminder. Set on activation
 * and extension, and re-created by the reconciler after Redis lost them.
 */
import type { AccessRequest } from '../domain/request.ts';
import type { Clock, Scheduler } from './ports.ts';

export const EXPIRY_REMINDER_MS = 10 * 60_000;

export async function setExpiryTimers(request: AccessRequest, ports: { scheduler: Scheduler; clock: Clock }): Promise<void> {
  if (request.status !== 'ACTIVE' || !request.expiresAt) return;
  await ports.scheduler.revokeAt(request.id, `g${request.generation}`, request.expiresAt);
  const remindAt = new Date(request.expiresAt.getTime() - EXPIRY_REMINDER_MS);
  // Only when the grant is long enough for a reminder to mean something, and the moment has not passed.
  if (request.activatedAt && remindAt > request.activatedAt && remindAt > ports.clock.now()) {
    await ports.scheduler.remindAt(request.id, request.generation, remindAt);
  }
}
