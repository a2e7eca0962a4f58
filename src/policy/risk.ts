/**
 * The risk score recorded with each request (DESIGN.md section 5): the capped sum of the weights of the
 * signals present, with short human names for each signal.
 */
import type { ContextSignals } from './context-signals.ts';
import type { Policy, ResolvedScope } from './model.ts';
import { localParts } from './zoned-time.ts';

export interface RiskContext {
  scopes: ResolvedScope[];
  durationSec: number;
  breakGlass: boolean;
  at: Date;
  /** Denials of this requester in the last 7 days. */
  recentDenials: number;
  /** The request's context signals (issue 12), when known. */
  signals?: ContextSignals | null;
}

export interface RiskResult {
  score: number;
  signals: string[];
}

export const MAX_RISK_SCORE = 100;

/** Working hours are 08:00–20:00 Monday to Friday in the policy's time zone; anything else is off-hours. */
export function isOffHours(at: Date, timeZone: string): boolean {
  const local = localParts(at, timeZone);
  return local.weekday === 0 || local.weekday === 6 || local.hour < 8 || local.hour >= 20;
}

export function computeRisk(policy: Policy, ctx: RiskContext): RiskResult {
  const w = policy.risk;
  const present: Array<[boolean, number, string]> = [
    [ctx.breakGlass, w.breakGlass, 'break-glass'],
    [ctx.scopes.some((s) => s.resource.tier === 'prod'), w.prodTier, 'prod tier'],
    [isOffHours(ctx.at, policy.timezone), w.offHours, 'off-hours'],
    [ctx.scopes.some((s) => ctx.durationSec > s.resource.maxDurationSec / 2), w.longDuration, 'long duration'],
    [ctx.recentDenials > 0, w.recentDenial, 'recent denial'],
    [ctx.signals?.trustedNetwork === false, w.untrustedNetwork, 'untrusted network'],
    [ctx.signals?.device === 'noncompliant', w.noncompliantDevice, 'noncompliant device'],
    [ctx.signals?.newResource === true, w.newResource, 'new resource'],
    [ctx.signals?.unusualHour === true, w.unusualHour, 'unusual hour'],
    [ctx.signals?.unusualDuration === true, w.unusualDuration, 'unusual duration'],
  ];
  let score = 0;
  const signals: string[] = [];
  for (const [on, weight, signal] of present) {
    if (!on) continue;
    score += weight;
    signals.push(signal);
  }
  return { score: Math.min(MAX_RISK_SCORE, score), signals };
}
