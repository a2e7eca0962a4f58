/**
 * Create an access request: resolve scopes against the policy, check eligibility and duration, score risk,
 * then either leave it PENDING for approvers, approve it by policy (auto-approval, break-glass) or deny it
 * by policy — one row and its audit events in one transaction.
 */
import { ulid } from 'ulid';
import { parseDuration, formatDuration } from '../domain/duration.ts';
import { StintError } from '../domain/errors.ts';
import { ticketFromReason, type AccessRequest, type RequestStatus } from '../domain/request.ts';
import type { Policy, ResolvedScope } from '../policy/model.ts';
import { approversFor, canRequest, computeRisk, evaluateAutoApprove, expandPrincipals, ownerOf, resolveScope } from '../policy/index.ts';
import { actsAsAdmin, requireScope, type Actor } from './actor.ts';
import type { CorePorts } from './ports.ts';

export interface CreateRequestInput {
  identityId: string;
  scopes: string[];
  duration: string;
  reason: string;
  ticket?: string | null;
  breakGlass?: boolean;
  notifyChannels?: string[];
}

export interface CreateRequestResult {
  request: AccessRequest;
  warnings: string[];
  /** Why the policy denied it outright, when it did. */
  deniedBecause?: string;
}

const DAY_MS = 86_400_000;
const BREAK_GLASS_MIN_REASON = 20;

export async function createRequest(actor: Actor, input: CreateRequestInput, ports: CorePorts): Promise<CreateRequestResult> {
  const policy = ports.policy.current();
  const now = ports.clock.now();
  requireScope(actor, 'request');
  if (input.identityId !== actor.id && !actsAsAdmin(policy, actor)) {
    throw new StintError('FORBIDDEN', `You may only request access for yourself (${actor.id}); acting for someone else needs the admin scope`, {
      identityId: input.identityId,
    });
  }
  const requesterKind = requesterKindOf(policy, input.identityId);
  const reason = input.reason.trim();
  if (!reason) throw new StintError('COMMENT_REQUIRED', 'Say why you need access: a reason is required');
  const scopes = resolveScopes(policy, input.scopes);
  const workflow = scopes[0]!.workflow;
  const durationSec = checkDuration(policy, input, scopes, requesterKind);
  const breakGlass = input.breakGlass === true;

  if (breakGlass) checkBreakGlass(policy, input.identityId, requesterKind, actor, reason, now);
  else {
    for (const scope of scopes) {
      if (!canRequest(policy, input.identityId, scope, now)) {
        throw new StintError('NOT_ELIGIBLE', `${input.identityId} may not request ${scope.id} (workflow ${workflow.id}); ask an admin to add you to its eligible list`, {
          scope: scope.id,
        });
      }
    }
  }

  const owner = ownerOf(policy, input.identityId);
  const recentDenials = await ports.store.countDenials(input.identityId, new Date(now.getTime() - 7 * DAY_MS));
  const risk = computeRisk(policy, { scopes, durationSec, breakGlass, at: now, recentDenials });
  const ticket = input.ticket ?? ticketFromReason(reason);

  let status: RequestStatus = 'PENDING';
  let decidedBy: string | null = null;
  let autoApproved = false;
  let deniedBecause: string | undefined;
  if (breakGlass) {
    status = 'APPROVED';
    decidedBy = 'break-glass';
  } else {
    const usageCount = workflow.autoApprove?.maxUsage
      ? await ports.store.countAutoApprovals(input.identityId, new Date(now.getTime() - 30 * DAY_MS))
      : 0;
    const auto = evaluateAutoApprove(policy, workflow, {
      scopes: scopes.map((s) => s.id),
      durationSec,
      riskScore: risk.score,
      requesterId: input.identityId,
      at: now,
      usageCount,
      breakGlass,
      reason,
      ticket,
    });
    if (auto.approved) {
      status = 'APPROVED';
      decidedBy = `policy:${workflow.id}`;
      autoApproved = true;
    } else if (workflow.approvers.length === 0) {
      // Nobody could ever approve it: deny now, naming the condition that failed, rather than let it rot.
      status = 'DENIED';
      decidedBy = `policy:${workflow.id}`;
      deniedBecause = `auto-approval did not apply (${auto.reason}) and workflow ${workflow.id} has no approvers`;
    }
  }

  const request: AccessRequest = {
    id: `jit_${ulid(now.getTime())}`,
    requesterId: input.identityId,
    requesterKind,
    createdBy: actor.id,
    scopes: scopes.map((s) => s.id),
    workflow: workflow.id,
    reason,
    ticket,
    durationSec,
    status,
    required: breakGlass || autoApproved ? 0 : workflow.required,
    riskScore: risk.score,
    riskSignals: risk.signals,
    generation: 0,
    via: actor.via,
    notifyChannels: input.notifyChannels ?? [],
    autoApproved,
    decidedBy,
    createdAt: now,
    decidedAt: status === 'PENDING' ? null : now,
    activatedAt: null,
    expiresAt: null,
    revokedAt: null,
    statusReason: null,
    revokeCause: null,
    breakGlass,
    escalationLevel: 0,
    // Next action: for PENDING the end of its approval window (TIMED_OUT); for APPROVED its activation, due now.
    nextActionAt: status === 'PENDING' ? new Date(now.getTime() + workflow.approvalWindowSec * 1000) : status === 'APPROVED' ? now : null,
    policyVersion: policy.fingerprint,
  };

  await ports.store.transaction(async (tx) => {
    await tx.insertRequest(request);
    const data: Record<string, unknown> = {
      scopes: request.scopes,
      workflow: workflow.id,
      durationSec,
      reason,
      ticket,
      riskScore: risk.score,
      riskSignals: risk.signals,
      breakGlass,
      via: actor.via,
    };
    if (actor.id !== input.identityId) data.onBehalfOf = input.identityId;
    tx.appendAudit({ actor: actor.id, action: 'request.created', requestId: request.id, data, at: now });
    if (status === 'APPROVED') {
      tx.appendAudit({
        actor: decidedBy!,
        action: 'request.approved',
        requestId: request.id,
        data: { autoApproved, breakGlass, ...(breakGlass ? { breakGlassReason: reason } : {}) },
        at: now,
      });
    } else if (status === 'DENIED') {
      tx.appendAudit({ actor: decidedBy!, action: 'request.denied', requestId: request.id, data: { reason: deniedBecause }, at: now });
    }
  });

  if (status === 'PENDING') {
    const approverIds = approversFor(policy, workflow, now).filter((id) => id !== owner);
    await ports.notifier.notify({ kind: 'request.pending', request, approverIds });
  } else {
    if (status === 'APPROVED') await ports.scheduler.activateSoon(request.id);
    await ports.notifier.notify({ kind: 'request.decided', request, actorId: decidedBy! });
  }
  if (breakGlass) await ports.notifier.notify({ kind: 'breakglass.used', request, notify: policy.breakGlass?.notify ?? [] });

  const warnings = (input.notifyChannels ?? [])
    .filter((channel) => !ports.channels.has(channel))
    .map((channel) => `notification channel "${channel}" is not configured on this Stint; nothing will be sent there`);
  return { request, warnings, ...(deniedBecause ? { deniedBecause } : {}) };
}

function requesterKindOf(policy: Policy, identityId: string): 'person' | 'service' {
  const person = policy.people.get(identityId);
  if (person && !person.disabled) return 'person';
  if (policy.serviceAccounts.has(identityId)) return 'service';
  throw new StintError('NOT_ELIGIBLE', `"${identityId}" is not an active person or service account in the policy`, {
    identityId,
  });
}

function resolveScopes(policy: Policy, requested: string[]): ResolvedScope[] {
  const ids = [...new Set(requested.map((s) => s.trim()).filter(Boolean))];
  if (ids.length === 0) throw new StintError('UNKNOWN_SCOPE', 'Name at least one resource to request');
  const resolved: ResolvedScope[] = [];
  const unknown: string[] = [];
  for (const id of ids) {
    const scope = resolveScope(policy, id);
    if (scope) resolved.push(scope);
    else unknown.push(id);
  }
  if (unknown.length > 0) {
    throw new StintError('UNKNOWN_SCOPE', `Unknown resource ${unknown.map((u) => `"${u}"`).join(', ')}; \`stint policy check\` lists what exists`, {
      scopes: unknown,
    });
  }
  const workflows = [...new Set(resolved.map((s) => s.workflow.id))];
  if (workflows.length > 1) {
    throw new StintError('MIXED_WORKFLOWS', `These resources are approved by different workflows (${workflows.join(', ')}): split the request`, {
      workflows,
    });
  }
  return resolved;
}

function checkDuration(policy: Policy, input: CreateRequestInput, scopes: ResolvedScope[], kind: 'person' | 'service'): number {
  const seconds = parseDuration(input.duration);
  const minimum = Math.max(...scopes.map((s) => s.resource.minDurationSec));
  if (seconds < minimum) {
    throw new StintError('INVALID_DURATION', `Duration ${input.duration} is below the minimum of ${formatDuration(minimum)}`, {
      minimum: formatDuration(minimum),
    });
  }
  const limits: Array<[number, string]> = scopes.map((s) => [s.resource.maxDurationSec, `${s.resource.id}'s maxDuration`]);
  if (kind === 'service') {
    const account = policy.serviceAccounts.get(input.identityId)!;
    limits.push([account.maxJitDurationSec, `${account.id}'s maxJitDuration`]);
  }
  if (input.breakGlass && policy.breakGlass) limits.push([policy.breakGlass.maxDurationSec, 'the break-glass maxDuration']);
  const [maximum, what] = limits.reduce((a, b) => (b[0] < a[0] ? b : a));
  if (seconds > maximum) {
    throw new StintError('DURATION_TOO_LONG', `Duration ${input.duration} is above ${what} of ${formatDuration(maximum)}; ask for ${formatDuration(maximum)} or less`, {
      maximum: formatDuration(maximum),
    });
  }
  return seconds;
}

function checkBreakGlass(policy: Policy, identityId: string, kind: 'person' | 'service', actor: Actor, reason: string, now: Date): void {
  if (kind === 'service' || actor.via === 'mcp') {
    throw new StintError('NOT_ELIGIBLE', 'Break-glass is for people only, never for service accounts or agents');
  }
  if (!policy.breakGlass || !expandPrincipals(policy, policy.breakGlass.eligible, now).has(identityId)) {
    throw new StintError('NOT_ELIGIBLE', `${identityId} is not in breakGlass.eligible; use a normal request or ask an admin`);
  }
  if (reason.length < BREAK_GLASS_MIN_REASON) {
    throw new StintError('COMMENT_REQUIRED', `Break-glass needs a reason of at least ${BREAK_GLASS_MIN_REASON} characters saying what is on fire`);
  }
}
