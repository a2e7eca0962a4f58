import { describe, expect, it } from 'vitest';
import { approverStepUp, requesterStepUp } from '../../src/policy/step-up.ts';
import { POLICY_YAML, testPolicy } from '../support/policy-fixture.ts';

const withStepUp = (stepUp: string) => POLICY_YAML.replace('    approvalWindow: 30m\n', `    approvalWindow: 30m\n    stepUp: ${stepUp}\n`);
const ctx = (at: string, riskScore = 10) => ({ scopes: ['prod-orders-db'], durationSec: 3600, riskScore, requesterId: 'alice', at: new Date(at), breakGlass: false, reason: 'x', ticket: null });

describe('policy stepUp', () => {
  it('asks every requester with requester: true, and says which workflow asks', () => {
    const policy = testPolicy(withStepUp('{ requester: true }'));
    expect(requesterStepUp(policy, policy.workflows.get('two-dba')!, ctx('2026-12-02T10:00:00Z'))).toMatch(/workflow two-dba asks every requester/);
    expect(requesterStepUp(policy, policy.workflows.get('one-sre')!, ctx('2026-12-02T10:00:00Z'))).toBeNull();
  });

  it('asks only when the CEL condition over request.* holds', () => {
    const policy = testPolicy(withStepUp('{ requester: "request.riskScore >= 40 || request.hour < 7" }'));
    const workflow = policy.workflows.get('two-dba')!;
    expect(requesterStepUp(policy, workflow, ctx('2026-12-02T10:00:00Z', 10))).toBeNull();
    expect(requesterStepUp(policy, workflow, ctx('2026-12-02T10:00:00Z', 45))).toMatch(/when request.riskScore >= 40/);
    expect(requesterStepUp(policy, workflow, ctx('2026-12-02T05:00:00Z', 10))).not.toBeNull();
  });

  it('refuses a condition that does not compile at load, with the file line', () => {
    expect(() => testPolicy(withStepUp('{ requester: "request.nosuchfield" }'))).toThrow(/test-policy.yaml:\d+.*nosuchfield/s);
  });

  it('asks approvers from the workflow\'s risk threshold up', () => {
    const policy = testPolicy(withStepUp('{ approvers: { riskAtLeast: 60 } }'));
    const workflow = policy.workflows.get('two-dba')!;
    expect([approverStepUp(workflow, 59), approverStepUp(workflow, 60)]).toEqual([false, true]);
    expect(approverStepUp(policy.workflows.get('one-sre')!, 100)).toBe(false);
  });
});
