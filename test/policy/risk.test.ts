import { describe, expect, it } from 'vitest';
import { computeRisk, parsePolicy, resolveScope } from '../../src/policy/index.ts';
import { examplePolicy, minimalYaml } from './helpers.ts';

const policy = examplePolicy(); // Europe/Berlin; prodTier overridden to 25
const prod = resolveScope(policy, 'prod-orders-db')!; // tier prod, max 4h
const dev = resolveScope(policy, 'dev-payments')!; // max 8h
const WEEKDAY_NOON = new Date('2026-03-25T11:00:00Z'); // Wednesday 12:00 CET

const base = { scopes: [dev], durationSec: 3600, breakGlass: false, at: WEEKDAY_NOON, recentDenials: 0 };

describe('computeRisk', () => {
  it('scores zero without any signal', () => {
    expect(computeRisk(policy, base)).toEqual({ score: 0, signals: [] });
  });

  it('adds the break-glass weight', () => {
    expect(computeRisk(policy, { ...base, breakGlass: true })).toEqual({ score: 40, signals: ['break-glass'] });
  });

  it('adds the prod tier weight as overridden by the policy', () => {
    expect(computeRisk(policy, { ...base, scopes: [prod] })).toEqual({ score: 25, signals: ['prod tier'] });
  });

  it('adds the off-hours weight before 08:00 local time', () => {
    expect(computeRisk(policy, { ...base, at: new Date('2026-03-25T06:59:00Z') }).signals).toEqual(['off-hours']);
  });

  it('adds the off-hours weight from 20:00 local time', () => {
    expect(computeRisk(policy, { ...base, at: new Date('2026-03-25T19:00:00Z') }).score).toBe(15);
  });

  it('adds the off-hours weight on weekends', () => {
    expect(computeRisk(policy, { ...base, at: new Date('2026-03-28T11:00:00Z') }).signals).toEqual(['off-hours']);
  });

  it('adds the long-duration weight above half the maximum duration', () => {
    expect(computeRisk(policy, { ...base, durationSec: 4 * 3600 + 1 })).toEqual({ score: 10, signals: ['long duration'] });
    expect(computeRisk(policy, { ...base, durationSec: 4 * 3600 }).score).toBe(0);
  });

  it('adds the recent-denial weight', () => {
    expect(computeRisk(policy, { ...base, recentDenials: 2 })).toEqual({ score: 15, signals: ['recent denial'] });
  });

  it('sums the weights of all signals present', () => {
    const risk = computeRisk(policy, { ...base, scopes: [prod], recentDenials: 1, at: new Date('2026-03-28T11:00:00Z') });
    expect(risk.score).toBe(25 + 15 + 15);
  });

  it('caps the score at 100', () => {
    const heavy = parsePolicy(minimalYaml('risk: { breakGlass: 90, recentDenial: 50 }\n'), 'p.yaml');
    const scope = resolveScope(heavy, 'db')!;
    const risk = computeRisk(heavy, { ...base, scopes: [scope], breakGlass: true, recentDenials: 1 });
    expect(risk).toEqual({ score: 100, signals: ['break-glass', 'recent denial'] });
  });
});
