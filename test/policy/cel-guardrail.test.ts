import { describe, expect, it } from 'vitest';
import { compileGuardrail, type GuardrailFacts } from '../../src/policy/cel-guardrail.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { lineOfText, minimalYaml, policyError } from './helpers.ts';

const OUTSIDE_TASK = 'introspection.scope != "" && !(introspection.scope in credential.scopes)';

const facts = (over: Partial<{ scope: string; scopes: string[]; hour: number; ticket: string }> = {}): GuardrailFacts => ({
  introspection: { scope: over.scope ?? 'data:write', resourceServer: 'orders-api' },
  credential: { scopes: over.scopes ?? ['data:write'] },
  request: { reason: 'nightly price run', ticket: over.ticket ?? '', hour: over.hour ?? 10, weekday: 3 },
  serviceAccount: 'svc-bot',
});

function run(source: string, input: GuardrailFacts) {
  const compiled = compileGuardrail(source);
  if ('error' in compiled) throw new Error(compiled.error);
  return compiled.program(input);
}

const withGuardrail = (when: string, accounts = '') => minimalYaml(`serviceAccounts:
  - { id: svc-bot, owner: alice, maxJitDuration: 30m, resources: [db] }
guardrails:
  - { id: outside-task, when: '${when}'${accounts} }
`);

describe('compileGuardrail: evaluation', () => {
  it('matches a scope used outside its task context', () => {
    expect(run(OUTSIDE_TASK, facts({ scope: 'integrations:write', scopes: ['data:write'] }))).toEqual({ value: true });
  });

  it('does not match a scope the credential holds', () => {
    expect(run(OUTSIDE_TASK, facts({ scope: 'data:write', scopes: ['data:write'] }))).toEqual({ value: false });
  });

  it('does not match when the resource server asked no scope', () => {
    expect(run(OUTSIDE_TASK, facts({ scope: '', scopes: ['data:write'] }))).toEqual({ value: false });
  });

  it('sees the local hour, the ticket ("" when none), the resource server and the account', () => {
    expect(run('request.hour < 6', facts({ hour: 3 }))).toEqual({ value: true });
    expect(run('request.hour < 6', facts({ hour: 13 }))).toEqual({ value: false });
    expect(run('request.ticket == ""', facts())).toEqual({ value: true });
    expect(run('introspection.resourceServer == "orders-api" && serviceAccount == "svc-bot"', facts())).toEqual({ value: true });
  });

  it('reports a runtime error instead of a verdict', () => {
    expect(run('int(request.reason) > 1', facts())).toMatchObject({ error: expect.stringContaining('nightly') });
  });
});

describe('compileGuardrail: refused at load', () => {
  it('names an unknown variable', () => {
    expect(compileGuardrail('token.scope == "x"')).toEqual({ error: expect.stringContaining('unknown variable "token"') });
  });

  it('names an unknown field with the known ones', () => {
    expect(compileGuardrail('introspection.scopes == "x"')).toEqual({ error: expect.stringContaining('unknown field introspection.scopes (known: scope, resourceServer)') });
  });

  it('refuses a rule that is not true or false', () => {
    expect(compileGuardrail('request.reason')).toEqual({ error: expect.stringContaining('CEL type error') });
  });

  it('refuses a type error with the CEL message', () => {
    expect(compileGuardrail('request.hour < "six"')).toEqual({ error: expect.stringMatching(/CEL type error: .*no matching overload/) });
  });

  it('gives the CEL syntax error', () => {
    expect(compileGuardrail('request.hour >')).toEqual({ error: expect.stringContaining('CEL syntax error') });
  });
});

describe('guardrails in the policy file', () => {
  it('loads a guardrail, watching every service account by default', () => {
    const policy = parsePolicy(withGuardrail(OUTSIDE_TASK.replaceAll("'", "''")), 'p.yaml');
    expect(policy.guardrails).toEqual([{ id: 'outside-task', when: OUTSIDE_TASK, serviceAccounts: ['*'] }]);
  });

  it('refuses a rule that does not compile, by file, line and key path', () => {
    const text = withGuardrail('credential.scope == 1');
    expect(policyError(text).message).toContain(`stint.yaml:${lineOfText(text, 'credential.scope')}: guardrails[0].when: unknown field credential.scope`);
  });

  it('refuses a serviceAccounts entry that matches no service account', () => {
    const text = withGuardrail('request.hour < 6', ', serviceAccounts: [svc-bto]');
    expect(policyError(text).message).toContain('guardrails[0].serviceAccounts[0]: matches no service account (did you mean "svc-bot"?)');
  });

  it('accepts a glob that matches a service account', () => {
    expect(parsePolicy(withGuardrail('request.hour < 6', ', serviceAccounts: ["svc-*"]'), 'p.yaml').guardrails[0]!.serviceAccounts).toEqual(['svc-*']);
  });

  it('refuses two guardrails with one id', () => {
    const text = withGuardrail('request.hour < 6') + "  - { id: outside-task, when: 'request.hour > 22' }\n";
    expect(policyError(text).message).toContain('guardrails[1].id: duplicate guardrail id "outside-task"');
  });
});
