/**
 * The CEL `when` of a guardrail (policy `guardrails[]`), evaluated on each introspection of an agent's
 * credential. Compiled at load (unknown variables and fields, unknown functions and type errors are load errors
 * with the CEL message), like an auto-approval's `when` (cel-when.ts).
 */
import { celEnv, isCelError, parse, plan, type CelEnv, type CelInput } from '@bufbuild/cel';
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

/** The variables a rule may use: objects with their fields, and plain values (null). */
const VARIABLES: Readonly<Record<string, readonly string[] | null>> = {
  introspection: ['scope', 'resourceServer'],
  credential: ['scopes'],
  request: ['reason', 'ticket', 'hour', 'weekday'],
  serviceAccount: null,
};

export type GuardrailProgram = (facts: GuardrailFacts) => { value: boolean } | { error: string };

type Expr = ReturnType<typeof parse>['expr'];

const env: CelEnv = celEnv();

/** A typical input: a type error (string compared with int, non-boolean result) shows on any input. */
const SAMPLE: GuardrailFacts = {
  introspection: { scope: 'data:write', resourceServer: 'orders-api' },
  credential: { scopes: ['data:write'] },
  request: { reason: 'example', ticket: 'INC-1', hour: 10, weekday: 2 },
  serviceAccount: 'svc-example',
};

/** Compiles `source`; returns the program or a human message naming what is wrong. */
export function compileGuardrail(source: string): { program: GuardrailProgram } | { error: string } {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (err) {
    return { error: `CEL syntax error: ${cleanMessage(err)}` };
  }
  const problems: string[] = [];
  checkExpr(parsed.expr, new Set(), problems);
  if (problems.length > 0) return { error: problems.join('; ') };
  let run: ReturnType<typeof plan>;
  try {
    run = plan(env, parsed);
  } catch (err) {
    return { error: `CEL error: ${cleanMessage(err)}` };
  }
  const program: GuardrailProgram = (facts) => {
    let result: unknown;
    try {
      result = run(toCel(facts));
    } catch (err) {
      return { error: cleanMessage(err) };
    }
    if (isCelError(result)) return { error: cleanMessage(result) };
    if (typeof result !== 'boolean') return { error: `expression gave ${typeof result}, not true or false` };
    return { value: result };
  };
  const sample = program(SAMPLE);
  if ('error' in sample && /no matching overload|not true or false/.test(sample.error)) {
    return { error: `CEL type error: ${sample.error}` };
  }
  return { program };
}

function toCel(facts: GuardrailFacts): Record<string, CelInput> {
  // Whole numbers are CEL ints (bigint) so `request.hour >= 8` compares int with int.
  return {
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
  };
}

function cleanMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^<input>:(\d+):(\d+):\s*/, 'at $1:$2: ');
}

const KNOWN = Object.keys(VARIABLES).join(', ');

/** Walks the AST: only the variables above (and comprehension variables, `locals`), their fields, known functions. */
function checkExpr(expr: Expr | undefined, locals: ReadonlySet<string>, problems: string[]): void {
  if (!expr) return;
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'identExpr':
      if (!(kind.value.name in VARIABLES) && !locals.has(kind.value.name)) {
        problems.push(`unknown variable "${kind.value.name}" (known: ${KNOWN})`);
      }
      return;
    case 'selectExpr': {
      const operand = kind.value.operand;
      const root = operand?.exprKind.case === 'identExpr' ? operand.exprKind.value.name : undefined;
      if (root !== undefined && root in VARIABLES && !locals.has(root)) {
        const fields = VARIABLES[root];
        if (!fields) problems.push(`${root} is a string and has no field ${kind.value.field}`);
        else if (!fields.includes(kind.value.field)) problems.push(`unknown field ${root}.${kind.value.field} (known: ${fields.join(', ')})`);
        return;
      }
      checkExpr(operand, locals, problems);
      return;
    }
    case 'callExpr': {
      const name = kind.value.function;
      if (!/^[_@]/.test(name) && env.funcs.find(name) === undefined) problems.push(`unknown function ${name}()`);
      checkExpr(kind.value.target, locals, problems);
      for (const arg of kind.value.args) checkExpr(arg, locals, problems);
      return;
    }
    case 'listExpr':
      for (const element of kind.value.elements) checkExpr(element, locals, problems);
      return;
    case 'structExpr':
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === 'mapKey') checkExpr(entry.keyKind.value, locals, problems);
        checkExpr(entry.value, locals, problems);
      }
      return;
    case 'comprehensionExpr': {
      const c = kind.value;
      checkExpr(c.iterRange, locals, problems);
      checkExpr(c.accuInit, locals, problems);
      const inner = new Set(locals);
      for (const v of [c.iterVar, c.iterVar2, c.accuVar]) if (v) inner.add(v);
      checkExpr(c.loopCondition, inner, problems);
      checkExpr(c.loopStep, inner, problems);
      checkExpr(c.result, inner, problems);
      return;
    }
    default:
      return;
  }
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
