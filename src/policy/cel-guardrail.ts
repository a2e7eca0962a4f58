/**
 * The CEL `when` of a guardrail (policy `guardrails[]`), evaluated on each introspection of an agent's
 * credential. Compiled at load (unknown variables and fields, unknown functions and type errors are load errors
 * with the CEL message), like an auto-approval's `when` (cel-when.ts).
 */
import type { CelInput } from '@bufbuild/cel';
import { compileBoolean, type BooleanProgram, type CelVariables } from './cel-program.ts';
import { globMatch } from './glob.ts';
import type { PolicyGuardrail } from './model.ts';

/** What a guardrail sees. Strings are "" rather than null so a rule compares them without a null check. */
export interface GuardrailFacts {
  introspection: {
    /** The scope the resource server asked about; "" when it asked none. */
    scope: string;
    /** The id of the token owner that introspected (the resource server). */
    resourceServer: string;
  };
  credential: { scopes: string[] };
  request: {
    reason: string;
    /** "" when the request named no ticket. */
    ticket: string;
    /** Local hour and weekday (0 = Sunday) in the policy's timezone. */
    hour: number;
    weekday: number;
  };
  /** The service account whose credential it is. */
  serviceAccount: string;
}

export type GuardrailProgram = BooleanProgram<GuardrailFacts>;

const GUARDRAIL_CEL: CelVariables<GuardrailFacts> = {
  variables: {
    introspection: ['scope', 'resourceServer'],
    credential: ['scopes'],
    request: ['reason', 'ticket', 'hour', 'weekday'],
    serviceAccount: null,
  },
  toCel: (facts) => ({
    introspection: new Map<string, CelInput>([
      ['scope', facts.introspection.scope],
      ['resourceServer', facts.introspection.resourceServer],
    ]),
    credential: new Map<string, CelInput>([['scopes', [...facts.credential.scopes]]]),
    request: new Map<string, CelInput>([
      ['reason', facts.request.reason],
      ['ticket', facts.request.ticket],
      ['hour', BigInt(facts.request.hour)],
      ['weekday', BigInt(facts.request.weekday)],
    ]),
    serviceAccount: facts.serviceAccount,
  }),
  sample: {
    introspection: { scope: 'data:write', resourceServer: 'orders-api' },
    credential: { scopes: ['data:write'] },
    request: { reason: 'example', ticket: 'INC-1', hour: 10, weekday: 2 },
    serviceAccount: 'svc-example',
  },
};

/** Compiles `source`; returns the program or a human message naming what is wrong. */
export function compileGuardrail(source: string): { program: GuardrailProgram } | { error: string } {
  return compileBoolean(source, GUARDRAIL_CEL);
}

/** Whether a guardrail watches this service account (its `serviceAccounts` ids or globs). */
export function watches(guardrail: PolicyGuardrail, serviceAccountId: string): boolean {
  return guardrail.serviceAccounts.some((pattern) => pattern === serviceAccountId || globMatch(pattern, serviceAccountId));
}

const compiled = new WeakMap<PolicyGuardrail, { program: GuardrailProgram } | { error: string }>();

/** A guardrail's rule, compiled once per loaded policy (the policy holds each guardrail object until it reloads). */
export function guardrailProgram(guardrail: PolicyGuardrail): { program: GuardrailProgram } | { error: string } {
  let entry = compiled.get(guardrail);
  if (!entry) {
    entry = compileGuardrail(guardrail.when);
    compiled.set(guardrail, entry);
  }
  return entry;
}
