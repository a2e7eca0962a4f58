/**
 * Whether a request is approved by the policy alone: every condition passes, then the CEL `when`, then the
 * requester's 30-day allowance (`maxUsage`). Anything that cannot be evaluated fails closed.
 */
import type { ContextSignals } from './context-signals.ts';
import { formatDuration } from '../domain/duration.ts';
import { compileWhen, type WhenProgram, type WhenRequest } from './cel-when.ts';
import type { AutoApprove, AutoApproveCondition, Policy, PolicyWorkflow } from './model.ts';
import { localParts } from './zoned-time.ts';

export interface AutoApproveContext {
  /** Concrete scope ids requested. */
  scopes: string[];
  durationSec: number;
  riskScore: number;
  requesterId: string;
  at: Date;
  /** Auto-approvals this requester already had in the last 30 days. */
  usageCount: number;
  breakGlass: boolean;
  reason: string;
  ticket: string | null;
  /** Context signals (issue 12) for CEL `request.sourceIp`, `trustedNetwork`, `device`, …; absent: unknown. */
  signals?: ContextSignals | null;
}

export type AutoApproveResult = { approved: true } | { approved: false; reason: string };

export function evaluateAutoApprove(policy: Policy, workflow: PolicyWorkflow, ctx: AutoApproveContext): AutoApproveResult {
  const auto = workflow.autoApprove;
  if (!auto) return { approved: false, reason: 'workflow has no auto-approval' };

  for (const condition of auto.conditions) {
    const failure = failedCondition(condition, ctx);
    if (failure) return { approved: false, reason: failure };
  }

  if (auto.when !== undefined) {
    const program = whenProgram(auto);
    if ('error' in program) return { approved: false, reason: `when expression does not compile: ${program.error}` };
    const result = program.program(whenRequestOf(policy, ctx));
    if ('error' in result) {
      return { approved: false, reason: `when expression could not be evaluated (${result.error}): not auto-approved` };
    }
    if (!result.value) return { approved: false, reason: `when expression is false: ${auto.when}` };
  }

  if (auto.maxUsage !== undefined && ctx.usageCount >= auto.maxUsage) {
    return {
      approved: false,
      reason: `auto-approval limit reached: ${ctx.usageCount} of ${auto.maxUsage} in the last 30 days`,
    };
  }
  return { approved: true };
}

/** What a CEL condition over `request.*` sees for this request (auto-approval `when`, step-up `requester`). */
export function whenRequestOf(policy: Policy, ctx: Omit<AutoApproveContext, 'usageCount'>): WhenRequest {
  const local = localParts(ctx.at, policy.timezone);
  return {
    hour: local.hour,
    weekday: local.weekday,
    duration: ctx.durationSec,
    riskScore: ctx.riskScore,
    scopes: ctx.scopes,
    requester: ctx.requesterId,
    reason: ctx.reason,
    ticket: ctx.ticket,
    breakGlass: ctx.breakGlass,
    sourceIp: ctx.signals?.sourceIp ?? '',
    trustedNetwork: ctx.signals?.trustedNetwork === true,
    device: ctx.signals?.device ?? 'unknown',
    offHours: ctx.signals?.offHours ?? false,
    newResource: ctx.signals?.newResource ?? false,
    unusualHour: ctx.signals?.unusualHour ?? false,
    unusualDuration: ctx.signals?.unusualDuration ?? false,
  };
}

const compiled = new WeakMap<AutoApprove, ReturnType<typeof compileWhen>>();

function whenProgram(auto: AutoApprove): { program: WhenProgram } | { error: string } {
  let entry = compiled.get(auto);
  if (!entry) {
    entry = compileWhen(auto.when ?? 'true');
    compiled.set(auto, entry);
  }
  return entry;
}

/** The failure message of one condition, or undefined when it passes. */
function failedCondition(c: AutoApproveCondition, ctx: AutoApproveContext): string | undefined {
  const label = `${c.type} ${c.operator} ${show(c.type, c.value)}`;
  if (c.type === 'RESOURCE') {
    const bad = ctx.scopes.find((scope) => !test(c, scope));
    if (ctx.scopes.length === 0) return `${label} failed: no resource requested`;
    return bad === undefined ? undefined : `${label} failed: ${bad} requested`;
  }
  if (c.type === 'DURATION') {
    return test(c, ctx.durationSec) ? undefined : `${label} failed: ${formatDuration(ctx.durationSec)} requested`;
  }
  return test(c, ctx.riskScore) ? undefined : `${label} failed: risk score is ${ctx.riskScore}`;
}

function test(c: AutoApproveCondition, subject: string | number): boolean {
  const value = c.value;
  switch (c.operator) {
    case 'STARTS_WITH':
      return typeof subject === 'string' && typeof value === 'string' && subject.startsWith(value);
    case 'LESS_THAN':
      return typeof subject === 'number' && typeof value === 'number' && subject < value;
    case 'EQUALS':
      return subject === value;
    case 'IN':
      return Array.isArray(value) && value.some((v) => v === subject);
    case 'MATCHES':
      // Anchored: `dev-.*` must not also match `prod-dev-x`.
      return typeof subject === 'string' && typeof value === 'string' && safeRegExp(value)?.test(subject) === true;
    default:
      return false;
  }
}

function safeRegExp(source: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch {
    return undefined;
  }
}

function show(type: AutoApproveCondition['type'], value: AutoApproveCondition['value']): string {
  const one = (v: string | number) => (type === 'DURATION' && typeof v === 'number' ? formatDuration(v) : String(v));
  return Array.isArray(value) ? `[${value.map(one).join(', ')}]` : one(value);
}
