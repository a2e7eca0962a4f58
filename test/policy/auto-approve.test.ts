import { describe, expect, it } from 'vitest';
import { evaluateAutoApprove, parsePolicy, type AutoApproveContext } from '../../src/policy/index.ts';
import type { AutoApproveCondition, PolicyWorkflow } from '../../src/policy/model.ts';
import { examplePolicy, exampleWith, minimalYaml } from './helpers.ts';

const policy = parsePolicy(minimalYaml('timezone: Europe/Berlin\n'), 'p.yaml');
const base = policy.workflows.get('review')!;

// 2026-03-25 is a Wednesday; 11:00 UTC is 12:00 in Berlin.
const ctx: AutoApproveContext = {
  scopes: ['dev-payments'],
  durationSec: 3600,
  riskScore: 10,
  requesterId: 'alice',
  at: new Date('2026-03-25T11:00:00Z'),
  usageCount: 0,
  breakGlass: false,
  reason: 'debug stuck orders',
  ticket: 'INC-1234',
};

function workflowWith(conditions: AutoApproveCondition[], extra: Partial<NonNullable<PolicyWorkflow['autoApprove']>> = {}): PolicyWorkflow {
  return { ...base, autoApprove: { conditions, ...extra } };
}

const one = (condition: AutoApproveCondition, over: Partial<AutoApproveContext> = {}) =>
  evaluateAutoApprove(policy, workflowWith([condition]), { ...ctx, ...over });

describe('evaluateAutoApprove: conditions', () => {
  it.each<[string, AutoApproveCondition, Partial<AutoApproveContext>]>([
    ['RESOURCE STARTS_WITH', { type: 'RESOURCE', operator: 'STARTS_WITH', value: 'dev-' }, {}],
    ['RESOURCE EQUALS', { type: 'RESOURCE', operator: 'EQUALS', value: 'dev-payments' }, {}],
    ['RESOURCE IN', { type: 'RESOURCE', operator: 'IN', value: ['dev-search', 'dev-payments'] }, {}],
    ['RESOURCE MATCHES', { type: 'RESOURCE', operator: 'MATCHES', value: 'dev-[a-z]+' }, {}],
    ['DURATION LESS_THAN', { type: 'DURATION', operator: 'LESS_THAN', value: 7200 }, {}],
    ['DURATION EQUALS', { type: 'DURATION', operator: 'EQUALS', value: 3600 }, {}],
    ['DURATION IN', { type: 'DURATION', operator: 'IN', value: [1800, 3600] }, {}],
    ['RISK_SCORE LESS_THAN', { type: 'RISK_SCORE', operator: 'LESS_THAN', value: 30 }, {}],
    ['RISK_SCORE EQUALS', { type: 'RISK_SCORE', operator: 'EQUALS', value: 10 }, {}],
    ['RISK_SCORE IN', { type: 'RISK_SCORE', operator: 'IN', value: [0, 10] }, {}],
  ])('passes %s when the request satisfies it', (_name, condition, over) => {
    expect(one(condition, over)).toEqual({ approved: true });
  });

  it.each<[string, AutoApproveCondition, Partial<AutoApproveContext>, string]>([
    ['RESOURCE STARTS_WITH', { type: 'RESOURCE', operator: 'STARTS_WITH', value: 'dev-' }, { scopes: ['prod-orders-db'] }, 'RESOURCE STARTS_WITH dev- failed: prod-orders-db requested'],
    ['RESOURCE EQUALS', { type: 'RESOURCE', operator: 'EQUALS', value: 'dev-search' }, {}, 'RESOURCE EQUALS dev-search failed: dev-payments requested'],
    ['RESOURCE IN', { type: 'RESOURCE', operator: 'IN', value: ['dev-search'] }, {}, 'RESOURCE IN [dev-search] failed: dev-payments requested'],
    ['RESOURCE MATCHES (anchored)', { type: 'RESOURCE', operator: 'MATCHES', value: 'dev' }, {}, 'RESOURCE MATCHES dev failed: dev-payments requested'],
    ['DURATION LESS_THAN', { type: 'DURATION', operator: 'LESS_THAN', value: 7200 }, { durationSec: 10_800 }, 'DURATION LESS_THAN 2h failed: 3h requested'],
    ['DURATION EQUALS', { type: 'DURATION', operator: 'EQUALS', value: 1800 }, {}, 'DURATION EQUALS 30m failed: 1h requested'],
    ['DURATION IN', { type: 'DURATION', operator: 'IN', value: [900, 1800] }, {}, 'DURATION IN [15m, 30m] failed: 1h requested'],
    ['RISK_SCORE LESS_THAN', { type: 'RISK_SCORE', operator: 'LESS_THAN', value: 30 }, { riskScore: 45 }, 'RISK_SCORE LESS_THAN 30 failed: risk score is 45'],
    ['RISK_SCORE EQUALS', { type: 'RISK_SCORE', operator: 'EQUALS', value: 0 }, {}, 'RISK_SCORE EQUALS 0 failed: risk score is 10'],
    ['RISK_SCORE IN', { type: 'RISK_SCORE', operator: 'IN', value: [0, 5] }, {}, 'RISK_SCORE IN [0, 5] failed: risk score is 10'],
  ])('fails %s and names it in the reason', (_name, condition, over, reason) => {
    expect(one(condition, over)).toEqual({ approved: false, reason });
  });

  it('applies a RESOURCE condition to every requested scope', () => {
    const result = one({ type: 'RESOURCE', operator: 'STARTS_WITH', value: 'dev-' }, { scopes: ['dev-a', 'prod-b'] });
    expect(result).toEqual({ approved: false, reason: 'RESOURCE STARTS_WITH dev- failed: prod-b requested' });
  });

  it('requires every condition to pass', () => {
    const workflow = workflowWith([
      { type: 'RESOURCE', operator: 'STARTS_WITH', value: 'dev-' },
      { type: 'RISK_SCORE', operator: 'LESS_THAN', value: 5 },
    ]);
    expect(evaluateAutoApprove(policy, workflow, ctx)).toMatchObject({ approved: false, reason: expect.stringContaining('RISK_SCORE') });
  });

  it('does not auto-approve a workflow without auto-approval', () => {
    expect(evaluateAutoApprove(policy, base, ctx)).toEqual({ approved: false, reason: 'workflow has no auto-approval' });
  });
});

describe('evaluateAutoApprove: CEL when and maxUsage', () => {
  const office = workflowWith([], { when: 'request.hour >= 8 && request.hour < 20 && request.weekday != 0' });

  it('approves when the when expression is true (hour in the policy time zone)', () => {
    expect(evaluateAutoApprove(policy, office, { ...ctx, at: new Date('2026-03-25T07:30:00Z') })).toEqual({ approved: true }); // 08:30 CET
  });

  it('refuses when the when expression is false', () => {
    const result = evaluateAutoApprove(policy, office, { ...ctx, at: new Date('2026-03-25T19:30:00Z') }); // 20:30 CET
    expect(result).toEqual({ approved: false, reason: expect.stringContaining('when expression is false') });
  });

  it('gives the expression the request fields', () => {
    const workflow = workflowWith([], {
      when: 'request.duration == 3600 && request.riskScore == 10 && "dev-payments" in request.scopes && request.requester == "alice" && request.reason.contains("orders") && request.ticket == "INC-1234" && !request.breakGlass && request.weekday == 3',
    });
    expect(evaluateAutoApprove(policy, workflow, ctx)).toEqual({ approved: true });
  });

  it('fails closed when the expression errors at run time', () => {
    const workflow = workflowWith([], { when: 'request.ticket.startsWith("INC")' });
    const result = evaluateAutoApprove(policy, workflow, { ...ctx, ticket: null });
    expect(result).toEqual({ approved: false, reason: expect.stringContaining('could not be evaluated') });
  });

  it('approves while the requester is under maxUsage', () => {
    expect(evaluateAutoApprove(policy, workflowWith([], { maxUsage: 3 }), { ...ctx, usageCount: 2 })).toEqual({ approved: true });
  });

  it('refuses once the requester reached maxUsage', () => {
    expect(evaluateAutoApprove(policy, workflowWith([], { maxUsage: 3 }), { ...ctx, usageCount: 3 })).toEqual({
      approved: false,
      reason: 'auto-approval limit reached: 3 of 3 in the last 30 days',
    });
  });

  it('auto-approves a short dev request in office hours under the example policy', () => {
    const example = examplePolicy();
    expect(evaluateAutoApprove(example, example.workflows.get('dev-auto')!, ctx)).toEqual({ approved: true });
  });

  it('refuses a CEL when expression that does not compile at load', () => {
    expect(() => parsePolicy(exampleWith('request.hour < 20', 'request.hour <'), 'stint.yaml')).toThrow(/CEL syntax error/);
  });
});
