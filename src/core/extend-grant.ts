/**
 * Move an ACTIVE grant's expiry later (DESIGN.md section 2, "Extensions"): through each provider's `extend`,
 * never by revoking and granting again, so sessions in use survive. The whole grant stays within the scopes'
 * maxDuration, and a requester extends on their own only when the workflow would auto-approve that total now
 * (or the request was break-glass); otherwise an approver or admin extends, and that is the approval.
 * The new expiry is a new generation: its revoke timer has a new key, and the old timer finds nothing due.
 */
import { formatDuration, parseDuration } from '../domain/duration.ts';
import { StintError } from '../domain/errors.ts';
import type { AccessRequest } from '../domain/request.ts';
import { actsAsAdmin, requireScope, type Actor } from './actor.ts';
import { assessRisk, autoApproval, maximumDuration, resolveScopes } from './create-request.ts';
import { setExpiryTimers } from './expiry-timers.ts';
import { withLease } from './lease.ts';
import type { GrantHandleRecord, GrantPorts } from './ports.ts';
import { visibleNow } from './on-call-now.ts';
import { currentApprovers, speaksForRequester } from './visibility.ts';

export interface ExtendGrantInput {
  requestId: string;
  /** How much later the grant ends: `30m`, `1h`, `PT1H`. */
  duration: string;
  comment?: string | null;
}

export async function extendGrant(actor: Actor, input: ExtendGrantInput, ports: GrantPorts): Promise<AccessRequest> {
  const policy = ports.policy.current();
  const now = ports.clock.now();
  const { request, onCall } = await visibleNow(policy, actor, await ports.store.getRequest(input.requestId), input.requestId, now, ports.oncall);
  // The requester comes first: a requester who is also an approver of the workflow does not approve their own extension.
  const asRequester = speaksForRequester(policy, actor, request);
  if (!asRequester && !actsAsAdmin(policy, actor) && !currentApprovers(policy, request, now, onCall.people).includes(actor.id)) {
    throw new StintError('FORBIDDEN', `Only the requester, an approver of workflow ${request.workflow} or an admin can extend this grant`);
  }
  requireScope(actor, asRequester ? 'request' : 'approve');
  const { activatedAt, expiresAt } = assertExtendable(request, now);

  const addSec = parseDuration(input.duration);
  const newExpiry = new Date(expiresAt.getTime() + addSec * 1000);
  const totalSec = Math.round((newExpiry.getTime() - activatedAt.getTime()) / 1000);
  const scopes = resolveScopes(policy, request.scopes);
  const { maximum, what } = maximumDuration(policy, scopes, { requesterId: request.requesterId, kind: request.requesterKind, breakGlass: request.breakGlass });
  if (totalSec > maximum) {
    const room = maximum - Math.round((expiresAt.getTime() - activatedAt.getTime()) / 1000);
    const next = room > 0 ? `you can add at most ${formatDuration(room)} more` : 'it is already at that maximum; request again when it ends';
    throw new StintError(
      'DURATION_TOO_LONG',
      `Extending by ${formatDuration(addSec)} would make this grant ${formatDuration(totalSec)} in all, above ${what} of ${formatDuration(maximum)}; ${next}`,
      { maximum: formatDuration(maximum), remaining: formatDuration(Math.max(0, room)) },
    );
  }

  if (asRequester && !request.breakGlass) {
    const workflow = scopes[0]!.workflow;
    const subject = { requesterId: request.requesterId, scopes, durationSec: totalSec, breakGlass: false, at: now };
    // Judged with the context the request was made in (its source and device are not known again here).
    const risk = await assessRisk(policy, ports.store, { ...subject, signals: request.context });
    const auto = await autoApproval(policy, workflow, ports.store, { ...subject, riskScore: risk.score, reason: request.reason, ticket: request.ticket, signals: request.context });
    if (!auto.approved) {
      throw new StintError(
        'NOT_ELIGIBLE',
        `A grant of ${formatDuration(totalSec)} in all is not auto-approved (${auto.reason}): extending needs an approver of workflow ${workflow.id} ` +
          `(they can run \`stint extend ${request.id} ${formatDuration(addSec)}\`), or request again`,
        { workflow: workflow.id },
      );
    }
  }

  const leased = await withLease(ports, request.id, () =>
    extendLeased(request, { actorId: actor.id, from: expiresAt, to: newExpiry, totalSec, duration: formatDuration(addSec), comment: input.comment?.trim() || null }, ports),
  );
  if (!leased.held) throw new StintError('UNAVAILABLE', 'This grant is being changed right now; try again in a few seconds', { requestId: request.id });
  const updated = leased.value;
  await setExpiryTimers(updated, ports);
  await ports.notifier.notify({ kind: 'grant.extended', request: updated, actorId: actor.id, previousExpiresAt: expiresAt });
  return updated;
}

function assertExtendable(request: AccessRequest, now: Date): { activatedAt: Date; expiresAt: Date } {
  if (request.status !== 'ACTIVE' || !request.expiresAt) {
    throw new StintError('NOT_PENDING', `This request is ${request.status}: there is no active grant to extend; request again`, { status: request.status });
  }
  if (request.expiresAt <= now) {
    throw new StintError('NOT_PENDING', `This grant expired at ${request.expiresAt.toISOString()} and is being revoked; request again`, { status: request.status });
  }
  // activatedAt is set with ACTIVE; derive it from the asked duration should an old row lack it.
  const activatedAt = request.activatedAt ?? new Date(request.expiresAt.getTime() - request.durationSec * 1000);
  return { activatedAt, expiresAt: request.expiresAt };
}

interface Extension {
  actorId: string;
  from: Date;
  to: Date;
  /** The grant's whole length once extended (what the card and the REST view call its duration). */
  totalSec: number;
  duration: string;
  comment: string | null;
}

async function extendLeased(seen: AccessRequest, ext: Extension, ports: GrantPorts): Promise<AccessRequest> {
  // Read again under the lease: a revoke or another extension may have landed since the checks above.
  const current = await ports.store.getRequest(seen.id);
  if (!current || current.status !== 'ACTIVE' || current.generation !== seen.generation) throw changed(current ?? seen);

  const handles = await ports.store.listGrantHandles(seen.id);
  const extended: Array<{ handle: GrantHandleRecord; data: GrantHandleRecord['data'] }> = [];
  for (const handle of handles) {
    try {
      const data = await ports.providers.get(handle.provider).extend(handle.config, handle.data, ext.to);
      extended.push({ handle, data });
    } catch (err) {
      await restore(extended, ext.from, ports);
      const reason = err instanceof Error ? err.message : String(err);
      throw new StintError(
        'UNAVAILABLE',
        `Extending ${handle.resourceId} failed (${reason}); the grant keeps its expiry of ${ext.from.toISOString()}. Try again, or request again`,
        { resourceId: handle.resourceId },
      );
    }
  }

  const at = ports.clock.now();
  const patch = { expiresAt: ext.to, nextActionAt: ext.to, durationSec: ext.totalSec, generation: seen.generation + 1 };
  const moved = await ports.store.transaction(async (tx) => {
    const locked = await tx.lockRequest(seen.id);
    if (!locked || locked.generation !== seen.generation || !(await tx.transition(seen.id, 'ACTIVE', 'ACTIVE', patch))) return false;
    for (const { handle, data } of extended) await tx.saveGrantHandle({ ...handle, data });
    tx.appendAudit({
      actor: ext.actorId,
      action: 'grant.extended',
      requestId: seen.id,
      data: { from: ext.from.toISOString(), to: ext.to.toISOString(), duration: ext.duration, comment: ext.comment },
      at,
    });
    return true;
  });
  if (!moved) {
    // A revoke won the race: it takes the access away, so the native expiry we moved does not outlive it.
    await restore(extended, ext.from, ports);
    throw changed((await ports.store.getRequest(seen.id)) ?? seen);
  }
  return { ...current, ...patch };
}

/** Best effort: puts a scope's native expiry (VALID UNTIL, …) back where Stint's own timer still has it. */
async function restore(extended: Array<{ handle: GrantHandleRecord; data: GrantHandleRecord['data'] }>, expiry: Date, ports: GrantPorts): Promise<void> {
  for (const { handle, data } of extended) {
    await ports.providers
      .get(handle.provider)
      .extend(handle.config, data, expiry)
      .catch(() => undefined);
  }
}

function changed(request: AccessRequest): StintError {
  return request.status === 'ACTIVE'
    ? new StintError('NOT_PENDING', 'This grant changed a moment ago (extended by someone else?); look at it again and retry', { status: request.status })
    : new StintError('NOT_PENDING', `This request is ${request.status}: there is no active grant to extend; request again`, { status: request.status });
}
