import { describe, expect, it } from 'vitest';
import {
  approversFor,
  canRequest,
  expandPrincipals,
  isAdmin,
  ownerOf,
  parsePolicy,
  resolveScope,
} from '../../src/policy/index.ts';
import { exampleWith, examplePolicy, minimalYaml } from './helpers.ts';

const AT = new Date('2026-03-25T12:00:00Z');

function withResources(lines: string): ReturnType<typeof parsePolicy> {
  const text = minimalYaml().replace(
    '  - { id: db, provider: { type: postgres }, maxDuration: 4h, workflow: review }\n',
    lines,
  );
  return parsePolicy(text, 'p.yaml');
}

describe('resolveScope', () => {
  it('resolves an exact resource id', () => {
    expect(resolveScope(examplePolicy(), 'prod-orders-db')?.resource.id).toBe('prod-orders-db');
  });

  it('resolves a concrete id through a glob resource and keeps the concrete id', () => {
    const scope = resolveScope(examplePolicy(), 'dev-payments');
    expect(scope?.resource.id).toBe('dev-*');
    expect(scope?.id).toBe('dev-payments');
    expect(scope?.workflow.id).toBe('dev-auto');
  });

  it('prefers an exact id over a glob written before it', () => {
    const policy = withResources(
      '  - { id: "dev-*", provider: { type: postgres }, maxDuration: 4h, workflow: review }\n' +
        '  - { id: dev-special, provider: { type: token }, maxDuration: 1h, workflow: review }\n',
    );
    expect(resolveScope(policy, 'dev-special')?.resource.provider.type).toBe('token');
  });

  it('prefers the glob with the longest literal prefix', () => {
    const policy = withResources(
      '  - { id: "dev-*", provider: { type: postgres }, maxDuration: 4h, workflow: review }\n' +
        '  - { id: "dev-pay*", provider: { type: token }, maxDuration: 1h, workflow: review }\n',
    );
    expect(resolveScope(policy, 'dev-payments')?.resource.id).toBe('dev-pay*');
    expect(resolveScope(policy, 'dev-search')?.resource.id).toBe('dev-*');
  });

  it('matches exactly one character with ?', () => {
    const policy = withResources('  - { id: "db-?", provider: { type: postgres }, maxDuration: 4h, workflow: review }\n');
    expect(resolveScope(policy, 'db-1')).toBeDefined();
    expect(resolveScope(policy, 'db-12')).toBeUndefined();
  });

  it('answers undefined for an id no resource matches', () => {
    expect(resolveScope(examplePolicy(), 'staging-db')).toBeUndefined();
  });

  it('refuses a requested id that is itself a glob', () => {
    expect(resolveScope(examplePolicy(), 'dev-*')).toBeUndefined();
  });
});

describe('expandPrincipals', () => {
  it('expands groups, person: references and bare person ids', () => {
    const ids = expandPrincipals(examplePolicy(), ['group:security', 'person:carol', 'dave'], AT);
    expect([...ids].sort()).toEqual(['carol', 'dave', 'erin']);
  });

  it('never includes disabled people', () => {
    expect(expandPrincipals(examplePolicy(), ['group:dba', 'frank', 'person:frank'], AT).has('frank')).toBe(false);
  });

  it('ignores references to nothing', () => {
    expect(expandPrincipals(examplePolicy(), ['group:none', 'nobody', 'weird:ref'], AT).size).toBe(0);
  });

  it('resolves an external on-call schedule to nobody (its adapter answers)', () => {
    expect(expandPrincipals(examplePolicy(), ['oncall:dba-pager'], AT).size).toBe(0);
  });
});

describe('canRequest', () => {
  it('lets a person in the workflow eligible list request', () => {
    const policy = examplePolicy();
    expect(canRequest(policy, 'alice', resolveScope(policy, 'prod-orders-db')!, AT)).toBe(true);
  });

  it('refuses a person not in the workflow eligible list', () => {
    const policy = examplePolicy();
    expect(canRequest(policy, 'carol', resolveScope(policy, 'prod-orders-db')!, AT)).toBe(false);
  });

  it('refuses a disabled person even when their group is eligible', () => {
    const policy = examplePolicy();
    expect(canRequest(policy, 'frank', resolveScope(policy, 'dev-payments')!, AT)).toBe(false);
  });

  it('lets a service account request a scope matching one of its resource globs', () => {
    const policy = examplePolicy();
    expect(canRequest(policy, 'svc-price-optimizer', resolveScope(policy, 'dev-payments')!, AT)).toBe(true);
    expect(canRequest(policy, 'svc-price-optimizer', resolveScope(policy, 'data:write')!, AT)).toBe(true);
  });

  it('refuses a service account a scope outside its resources', () => {
    const policy = examplePolicy();
    expect(canRequest(policy, 'svc-price-optimizer', resolveScope(policy, 'prod-orders-db')!, AT)).toBe(false);
  });

  it('refuses a service account whose owner is disabled', () => {
    const policy = parsePolicy(exampleWith('owner: alice', 'owner: frank'), 'stint.yaml');
    expect(canRequest(policy, 'svc-price-optimizer', resolveScope(policy, 'dev-payments')!, AT)).toBe(false);
  });
});

describe('approversFor', () => {
  it('lists the enabled approvers, leaving out disabled people', () => {
    const policy = examplePolicy();
    expect(approversFor(policy, policy.workflows.get('two-dba')!, AT)).toEqual(['carol', 'dave']);
  });

  it('adds the approvers of the escalation steps already reached', () => {
    const policy = examplePolicy();
    const workflow = policy.workflows.get('two-dba')!;
    expect(approversFor(policy, workflow, AT, 1)).toEqual(['carol', 'dave']);
    expect(approversFor(policy, workflow, AT, 2)).toEqual(['carol', 'dave', 'erin']);
  });
});

describe('ownerOf and isAdmin', () => {
  it('counts a person as their own requester', () => {
    expect(ownerOf(examplePolicy(), 'bob')).toBe('bob');
  });

  it('counts a service account owner as the requester', () => {
    expect(ownerOf(examplePolicy(), 'svc-price-optimizer')).toBe('alice');
  });

  it('knows nobody for an unknown id', () => {
    expect(ownerOf(examplePolicy(), 'ghost')).toBeUndefined();
  });

  it('treats members of the admin group as admins and nobody else', () => {
    expect(isAdmin(examplePolicy(), 'erin')).toBe(true);
    expect(isAdmin(examplePolicy(), 'alice')).toBe(false);
  });
});
