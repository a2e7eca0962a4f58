/**
 * Create an access request: resolve scopes against the policy, check eligibility and duration, score risk,
 * then either leave it PENDING for approvers, approve it by policy (auto-approval, break-glass) or deny it
 * by policy — one row and its audit events in one transaction.
 */
import { ulid } from 'ulid';
import { parseDuration, formatDuration } from '../domain/duration.ts';
import { StintError } from '../domain/errors.ts';
import { formatNarrowing, parseNarrowing, type Narrowing } from '../domain/narrowing.ts';
import { ticketFromReason, type AccessRequest, type RequestStatus } from '../domain/request.ts';
import { canNarrow, narrowingGrammar } from '../policy/narrowable.ts';
import { BASELINE_DAYS, contextSignals, type ContextSignals, type DevicePosture } from '../policy/context-signals.ts';
import type { Policy, PolicyWorkflow, ResolvedScope } from '../policy/model.ts';
import { requesterStepUp } from '../policy/step-up.ts';
import {
  approversFor,
  canRequest,
  computeRisk,
  evaluateAutoApprove,
  expandPrincipals,
  ownerOf,
  resolveScope,
  type AutoApproveResult,
  type RiskResult,
} from '../policy/index.ts';
import { breakGlassFacts } from './break-glass-facts.ts';
import { checkLaunch } from './check-launch.ts';
import { checkTicket } from './check-ticket.ts';
import { verifyStepUp } from './verify-step-up.ts';
import { escalationKey, nextEscalationAction } from './escalation.ts';
import { onCallFor } from './on-call-now.ts';
import { actsAsAdmin, requireScope, type Actor } from './actor.ts';
import type { CorePorts, RequestStore } from './ports.ts';

export interface CreateRequestInput {
  identityId: string;
  scopes: string[];
  duration: string;
  reason: string;
  ticket?: string | null;
  breakGlass?: boolean;
  notifyChannels?: string[];
  /** An agent's model reasoning (MCP); recorded on the request and in its audit event. */
  agentReasoning?: string | null;
  /** Less than the resources' default access (`SELECT on orders.shipments`); only where the provider can express it. */
  narrowing?: string | null;
  /** The code from the requester's authenticator, when the workflow asks for step-up (issue 12). */
  mfaCode?: string | null;
  /** Where it came from (issue 12): the client's IP (API, CLI, MCP; none from chat) and a proxy's device posture. */
  source?: { ip?: string | null; devicePosture?: 'compliant' | 'noncompliant' | null };
  /** Launch mode (`stint ssh`, issue 8): one launchable resource, used through the SSH gateway (core/check-launch.ts). */
  launch?: boolean;
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
  if (requesterKind === 'service') await refuseSuspended(input.identityId, ports);
  const reason = input.reason.trim();
  if (!reason) throw new StintError('COMMENT_REQUIRED', 'Say why you need access: a reason is required');
  const scopes = resolveScopes(policy, input.scopes);
  const workflow = scopes[0]!.workflow;
  const narrowing = narrowingFor(input.narrowing, scopes);
  const launch = input.launch === true;
  if (launch) checkLaunch(scopes, ports.providers);
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

  const ticket = input.ticket ?? ticketFromReason(reason);
  // Asked before anything is written: an unknown ticket, or a ticket system that does not answer, creates nothing.
  const ticketInfo = breakGlass ? null : await checkTicket(workflow, ticket, ports.tickets);

  const owner = ownerOf(policy, input.identityId);
  const signals = await gatherSignals(policy, input, scopes, durationSec, now, ports);
  const risk = await assessRisk(policy, ports.store, { requesterId: input.identityId, scopes, durationSec, breakGlass, at: now, signals });
  // Step-up (issue 12) before anything is written: without the second factor the request does not exist. People
  // only: agents and service accounts have no authenticator (their guardrails are the policy's `guardrails`).
  const stepUpWhy = requesterKind === 'person' ? requesterStepUp(policy, workflow, { requesterId: input.identityId, scopes: scopes.map((s) => s.id), durationSec, riskScore: risk.score, reason, ticket, breakGlass, at: now, signals }) : null;
  const stepUp = stepUpWhy
    ? await verifyStepUp({ principalId: actor.kind === 'person' ? actor.id : input.identityId, code: input.mfaCode, purpose: `request on ${scopes.map((s) => s.id).join(', ')}`, why: `This request needs your second factor (${stepUpWhy})` }, ports)
    : null;

  let status: RequestStatus = 'PENDING';
  let decidedBy: string | null = null;
  let autoApproved = false;
  let deniedBecause: string | undefined;
  if (breakGlass) {
    status = 'APPROVED';
    decidedBy = 'break-glass';
  } else {
    const auto = await autoApproval(policy, workflow, ports.store, { requesterId: input.identityId, scopes, durationSec, riskScore: risk.score, reason, ticket, at: now, signals });
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
    ticketTitle: ticketInfo?.title ?? null,
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
    // Next action: for PENDING its first escalation step or the end of its approval window (TIMED_OUT); for
    // APPROVED its activation, due now.
    nextActionAt: status === 'PENDING' ? nextEscalationAction({ createdAt: now, escalationLevel: 0 }, workflow).at : status === 'APPROVED' ? now : null,
    policyVersion: policy.fingerprint,
    // The follow-up review exists from the first instant: same row, same INSERT, same transaction.
    reviewStatus: breakGlass ? 'PENDING' : null,
    reviewedBy: null,
    reviewedAt: null,
    reviewComment: null,
    reviewRemindedAt: null,
    agentReasoning: input.agentReasoning?.trim() || null,
    humanOnly: false,
    narrowing,
    context: signals,
    launch,
  };
  const facts = breakGlass ? await breakGlassFacts(policy, owner, now, ports.oncall) : undefined;

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
    if (request.agentReasoning) data.agentReasoning = request.agentReasoning;
    if (narrowing) data.narrowing = formatNarrowing(narrowing);
    if (launch) data.launch = true;
    if (ticketInfo) data.ticketTitle = ticketInfo.title;
    data.context = signals;
    if (stepUp) data.stepUp = stepUp.method;
    // Break-glass events stand on their own in a SIEM: what, why, how risky, who was told, who reviews, who was on call.
    const breakGlassData = facts ? { reason, ticket, riskScore: risk.score, durationSec, notify: facts.notify, reviewers: facts.reviewers, reviewerIds: facts.reviewerIds, onCall: facts.onCall } : {};
    tx.appendAudit({ actor: actor.id, action: 'request.created', requestId: request.id, data: { ...data, ...breakGlassData }, at: now });
    if (status === 'APPROVED') {
      tx.appendAudit({
        actor: decidedBy!,
        action: 'request.approved',
        requestId: request.id,
        data: { autoApproved, breakGlass, ...(breakGlass ? { breakGlassReason: reason, ...breakGlassData } : {}) },
        at: now,
      });
      if (facts) {
        tx.appendAudit({ actor: 'stint', action: 'breakglass.review_requested', requestId: request.id, data: { breakGlass: true, reviewers: facts.reviewers, reviewerIds: facts.reviewerIds }, at: now });
      }
    } else if (status === 'DENIED') {
      tx.appendAudit({ actor: decidedBy!, action: 'request.denied', requestId: request.id, data: { reason: deniedBecause }, at: now });
    }
  });

  if (status === 'PENDING') {
    const next = nextEscalationAction({ createdAt: request.createdAt, escalationLevel: 0 }, workflow);
    await ports.scheduler.escalateAt(request.id, escalationKey(next), next.at);
    const { people: onCall } = await onCallFor(policy, request, now, ports.oncall);
    const approverIds = approversFor(policy, workflow, now, 0, onCall).filter((id) => id !== owner);
    await ports.notifier.notify({ kind: 'request.pending', request, approverIds });
  } else {
    if (status === 'APPROVED') await ports.scheduler.activateSoon(request.id);
    await ports.notifier.notify({ kind: 'request.decided', request, actorId: decidedBy! });
  }
  if (facts) await ports.notifier.notify({ kind: 'breakglass.used', request, notify: facts.notify, reviewerIds: facts.reviewerIds });

  const warnings = (input.notifyChannels ?? [])
    .filter((channel) => !ports.channels.has(channel))
    .map((channel) => `notification channel "${channel}" is not configured on this Stint; nothing will be sent there`);
  return { request, warnings, ...(deniedBecause ? { deniedBecause } : {}) };
}

/** A suspended service account asks for nothing, not even through an admin acting for it (issue 10). */
async function refuseSuspended(serviceAccountId: string, ports: CorePorts): Promise<void> {
  const account = await ports.accounts?.getServiceAccount(serviceAccountId);
  if (account?.suspended) {
    throw new StintError('NOT_ELIGIBLE', `Service account ${serviceAccountId} is suspended (${account.suspendedReason ?? 'no reason given'}); an admin lifts it with \`stint service-account unsuspend ${serviceAccountId}\``, {
      identityId: serviceAccountId,
    });
  }
}

/** How long a device posture an MDM reported stays trusted. */
const POSTURE_FRESH_MS = 86_400_000;

/** The request's context signals: its source, the device, and the requester's last 90 days. */
async function gatherSignals(policy: Policy, input: CreateRequestInput, scopes: ResolvedScope[], durationSec: number, now: Date, ports: CorePorts): Promise<ContextSignals> {
  const since = now.getTime() - BASELINE_DAYS * DAY_MS;
  const history = (await ports.store.listRequests({ requesterId: input.identityId, limit: 500 })).filter((r) => r.createdAt.getTime() >= since);
  let device: DevicePosture = input.source?.devicePosture ?? 'unknown';
  if (device === 'unknown' && ports.devices) {
    const reported = await ports.devices.getDevicePosture(input.identityId);
    if (reported && now.getTime() - reported.reportedAt.getTime() <= POSTURE_FRESH_MS) device = reported.compliant ? 'compliant' : 'noncompliant';
  }
  return contextSignals(policy, { scopes: scopes.map((s) => s.id), durationSec, at: now, sourceIp: input.source?.ip ?? null, device, history });
}

/** The parsed narrowing, refused where a scope's provider cannot express it (the whole resource would be granted). */
function narrowingFor(text: string | null | undefined, scopes: ResolvedScope[]): Narrowing | null {
  if (!text?.trim()) return null;
  const wide = scopes.filter((s) => !canNarrow(s.resource)).map((s) => s.id);
  if (wide.length > 0) {
    throw new StintError(
      'INVALID_BODY',
      `${wide.join(', ')} cannot be narrowed: only a postgres resource in mode ephemeral (table by table) or an aws resource in mode iam-role (a session policy) can; request it without --narrow`,
      { field: 'narrowing', scopes: wide },
    );
  }
  const grammars = new Set(scopes.map((s) => narrowingGrammar(s.resource)!));
  if (grammars.size > 1) throw new StintError('INVALID_BODY', 'One narrowing cannot fit both database tables and AWS actions: request those resources separately', { field: 'narrowing' });
  return parseNarrowing(text, [...grammars][0]);
}

function requesterKindOf(policy: Policy, identityId: string): 'person' | 'service' {
  const person = policy.people.get(identityId);
  if (person && !person.disabled) return 'person';
  if (policy.serviceAccounts.has(identityId)) return 'service';
  throw new StintError('NOT_ELIGIBLE', `"${identityId}" is not an active person or service account in the policy`, {
    identityId,
  });
}

/** Policy resources for these ids, all under one workflow (else UNKNOWN_SCOPE / MIXED_WORKFLOWS). Extensions re-resolve with it. */
export function resolveScopes(policy: Policy, requested: string[]): ResolvedScope[] {
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
  const { maximum, what } = maximumDuration(policy, scopes, { requesterId: input.identityId, kind, breakGlass: input.breakGlass === true });
  if (seconds > maximum) {
    throw new StintError('DURATION_TOO_LONG', `Duration ${input.duration} is above ${what} of ${formatDuration(maximum)}; ask for ${formatDuration(maximum)} or less`, {
      maximum: formatDuration(maximum),
    });
  }
  return seconds;
}

/** The longest a grant of these scopes may last for this requester (seconds), and which limit says so. */
export function maximumDuration(
  policy: Policy,
  scopes: ResolvedScope[],
  requester: { requesterId: string; kind: 'person' | 'service'; breakGlass: boolean },
): { maximum: number; what: string } {
  const limits: Array<[number, string]> = scopes.map((s) => [s.resource.maxDurationSec, `${s.resource.id}'s maxDuration`]);
  const account = requester.kind === 'service' ? policy.serviceAccounts.get(requester.requesterId) : undefined;
  if (account) limits.push([account.maxJitDurationSec, `${account.id}'s maxJitDuration`]);
  if (requester.breakGlass && policy.breakGlass) limits.push([policy.breakGlass.maxDurationSec, 'the break-glass maxDuration']);
  const [maximum, what] = limits.reduce((a, b) => (b[0] < a[0] ? b : a));
  return { maximum, what };
}

/** The risk score of access to these scopes for this long, now (recent denials of the requester count). */
export async function assessRisk(
  policy: Policy,
  store: Pick<RequestStore, 'countDenials'>,
  subject: { requesterId: string; scopes: ResolvedScope[]; durationSec: number; breakGlass: boolean; at: Date; signals?: ContextSignals | null },
): Promise<RiskResult> {
  const recentDenials = await store.countDenials(subject.requesterId, new Date(subject.at.getTime() - 7 * DAY_MS));
  return computeRisk(policy, { scopes: subject.scopes, durationSec: subject.durationSec, breakGlass: subject.breakGlass, at: subject.at, recentDenials, signals: subject.signals ?? null });
}

/** Whether the workflow approves this access on its own now, counting the requester's 30-day allowance. */
export async function autoApproval(
  policy: Policy,
  workflow: PolicyWorkflow,
  store: Pick<RequestStore, 'countAutoApprovals'>,
  subject: { requesterId: string; scopes: ResolvedScope[]; durationSec: number; riskScore: number; reason: string; ticket: string | null; at: Date; signals?: ContextSignals | null },
): Promise<AutoApproveResult> {
  const usageCount = workflow.autoApprove?.maxUsage
    ? await store.countAutoApprovals(subject.requesterId, new Date(subject.at.getTime() - 30 * DAY_MS))
    : 0;
  return evaluateAutoApprove(policy, workflow, {
    scopes: subject.scopes.map((s) => s.id),
    durationSec: subject.durationSec,
    riskScore: subject.riskScore,
    requesterId: subject.requesterId,
    at: subject.at,
    usageCount,
    // Break-glass is approved as such and never asks the workflow.
    breakGlass: false,
    reason: subject.reason,
    ticket: subject.ticket,
    signals: subject.signals ?? null,
  });
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
