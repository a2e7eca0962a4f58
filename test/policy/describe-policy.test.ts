import { describe, expect, it } from 'vitest';
import { describePolicy } from '../../src/policy/index.ts';
import { examplePolicy } from './helpers.ts';

const text = describePolicy(examplePolicy());
const section = (id: string) => text.slice(text.indexOf(`\n${id}`), text.indexOf('\n\n', text.indexOf(`\n${id}`)));

describe('describePolicy', () => {
  it('shows the provider type (and mode, where one is written) of each resource', () => {
    expect(section('prod-orders-db')).toContain('provider:     postgres (membership)');
  });

  it('shows the maximum duration and the workflow', () => {
    expect(section('prod-orders-db')).toContain('5m to 4h');
    expect(section('prod-orders-db')).toContain('workflow:     two-dba');
  });

  it('shows who may request, with group members resolved', () => {
    expect(section('prod-orders-db')).toMatch(/may request: +group:sre \((bob, alice|alice, bob)\)/);
  });

  it('shows the approvers and how many are required, without disabled people', () => {
    expect(section('prod-orders-db')).toContain('approvers:    group:dba (carol, dave); 2 required within 30m');
  });

  it('names the agent reviewers of an ai_review workflow, and the guardrails', () => {
    expect(section('integrations:write')).toContain('ai review:    svc-access-reviewer may decide below risk 40 (never break-glass)');
    expect(text).toContain('  outside-task: for svc-*, trips when introspection.scope != "" && !(introspection.scope in credential.scopes)');
  });

  it('summarises auto-approval', () => {
    expect(section('dev-*')).toContain('auto-approve: if RESOURCE STARTS_WITH dev- and DURATION LESS_THAN 2h');
    expect(section('dev-*')).toContain('at most 100 per requester per 30 days');
  });

  it('shows the escalation steps', () => {
    expect(section('prod-orders-db')).toContain('after 10m notify oncall:sre-primary');
    expect(section('prod-orders-db')).toContain('add approvers group:security (erin)');
  });

  it('names the service accounts that may request a resource', () => {
    expect(section('data:write')).toContain('service accounts svc-price-optimizer');
  });

  it('describes break-glass and the service accounts', () => {
    expect(text).toContain('Break-glass: group:sre');
    expect(text).toContain('reviewed by group:security (erin)');
    expect(text).toContain('svc-price-optimizer: owner alice, up to 30m');
  });
});
