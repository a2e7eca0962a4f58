/**
 * Boolean CEL expressions in the policy (auto-approval `when`, guardrail rules): compiled at load time and checked
 * for unknown variables, fields and functions, and for type errors on a typical input, so a typo is a load error
 * with a line, not a silent runtime answer. Each caller names its variables and how its facts become CEL values.
 */
import { celEnv, isCelError, parse, plan, type CelEnv, type CelInput } from '@bufbuild/cel';

export type BooleanProgram<T> = (facts: T) => { value: boolean } | { error: string };

export interface CelVariables<T> {
  /** Each variable an expression may name: an object with these fields, or a plain value (null). */
  variables: Readonly<Record<string, readonly string[] | null>>;
  /** The facts as CEL values. Whole numbers must be bigint, so `request.hour >= 8` compares int with int. */
  toCel(facts: T): Record<string, CelInput>;
  /** A typical input: a type error (string compared with int, non-boolean result) shows on any input. */
  sample: T;
}

type Expr = ReturnType<typeof parse>['expr'];

const env: CelEnv = celEnv();

/** Compiles `source`; returns the program or a human message naming what is wrong. */
export function compileBoolean<T>(source: string, spec: CelVariables<T>): { program: BooleanProgram<T> } | { error: string } {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(source);
  } catch (err) {
    return { error: `CEL syntax error: ${cleanMessage(err)}` };
  }
  const problems: string[] = [];
  checkExpr(parsed.expr, spec.variables, new Set(), problems);
  if (problems.length > 0) return { error: problems.join('; ') };
  let run: ReturnType<typeof plan>;
  try {
    run = plan(env, parsed);
  } catch (err) {
    return { error: `CEL error: ${cleanMessage(err)}` };
  }
  const program: BooleanProgram<T> = (facts) => {
    let result: unknown;
    try {
      result = run(spec.toCel(facts));
    } catch (err) {
      return { error: cleanMessage(err) };
    }
    if (isCelError(result)) return { error: cleanMessage(result) };
    if (typeof result !== 'boolean') return { error: `expression gave ${typeof result}, not true or false` };
    return { value: result };
  };
  const sample = program(spec.sample);
  if ('error' in sample && /no matching overload|not true or false/.test(sample.error)) {
    return { error: `CEL type error: ${sample.error}` };
  }
  return { program };
}

function cleanMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^<input>:(\d+):(\d+):\s*/, 'at $1:$2: ');
}

/** Walks the AST: only the variables named (and comprehension variables, `locals`), their fields, known functions. */
function checkExpr(expr: Expr | undefined, variables: CelVariables<unknown>['variables'], locals: ReadonlySet<string>, problems: string[]): void {
  if (!expr) return;
  const check = (e: Expr | undefined, scope: ReadonlySet<string> = locals) => checkExpr(e, variables, scope, problems);
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'identExpr':
      if (!Object.hasOwn(variables, kind.value.name) && !locals.has(kind.value.name)) {
        problems.push(`unknown variable "${kind.value.name}" (known: ${Object.keys(variables).join(', ')})`);
      }
      return;
    case 'selectExpr': {
      const operand = kind.value.operand;
      const root = operand?.exprKind.case === 'identExpr' ? operand.exprKind.value.name : undefined;
      if (root !== undefined && Object.hasOwn(variables, root) && !locals.has(root)) {
        const fields = variables[root];
        if (!fields) problems.push(`${root} has no field ${kind.value.field}`);
        else if (!fields.includes(kind.value.field)) problems.push(`unknown field ${root}.${kind.value.field} (known: ${fields.join(', ')})`);
        return;
      }
      check(operand);
      return;
    }
    case 'callExpr': {
      const name = kind.value.function;
      if (!/^[_@]/.test(name) && env.funcs.find(name) === undefined) problems.push(`unknown function ${name}()`);
      check(kind.value.target);
      for (const arg of kind.value.args) check(arg);
      return;
    }
    case 'listExpr':
      for (const element of kind.value.elements) check(element);
      return;
    case 'structExpr':
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === 'mapKey') check(entry.keyKind.value);
        check(entry.value);
      }
      return;
    case 'comprehensionExpr': {
      const c = kind.value;
      check(c.iterRange);
      check(c.accuInit);
      const inner = new Set(locals);
      for (const v of [c.iterVar, c.iterVar2, c.accuVar]) if (v) inner.add(v);
      check(c.loopCondition, inner);
      check(c.loopStep, inner);
      check(c.result, inner);
      return;
    }
    default:
      return;
  }
}
