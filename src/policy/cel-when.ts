/**
 * The optional CEL `when` expression of an auto-approval. Compiled (and checked for unknown variables,
 * fields and functions) at load time so a typo is a load error with a line, not a silent runtime denial.
 */
import { celEnv, isCelError, parse, plan, type CelEnv, type CelInput } from '@bufbuild/cel';

/** What a `when` expression sees as `request.*`. */
export interface WhenRequest {
  hour: number;
  weekday: number;
  duration: number;
  riskScore: number;
  scopes: string[];
  requester: string;
  reason: string;
  ticket: string | null;
  breakGlass: boolean;
}

export const WHEN_FIELDS: readonly (keyof WhenRequest)[] = [
  'hour',
  'weekday',
  'duration',
  'riskScore',
  'scopes',
  'requester',
  'reason',
  'ticket',
  'breakGlass',
];

export type WhenProgram = (request: WhenRequest) => { value: boolean } | { error: string };

type Expr = ReturnType<typeof parse>['expr'];

const env: CelEnv = celEnv();

/** Compiles `source`; returns the program or a human message naming what is wrong. */
export function compileWhen(source: string): { program: WhenProgram } | { error: string } {
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
  const program: WhenProgram = (request) => {
    let result: unknown;
    try {
      result = run({ request: toCel(request) });
    } catch (err) {
      return { error: cleanMessage(err) };
    }
    if (isCelError(result)) return { error: cleanMessage(result) };
    if (typeof result !== 'boolean') return { error: `expression gave ${typeof result}, not true or false` };
    return { value: result };
  };
  // A type error (string compared with int, non-boolean result) shows on any input: try a typical one.
  const sample = program({
    hour: 10,
    weekday: 2,
    duration: 3600,
    riskScore: 10,
    scopes: ['example'],
    requester: 'someone',
    reason: 'example',
    ticket: 'INC-1',
    breakGlass: false,
  });
  if ('error' in sample && /no matching overload|not true or false/.test(sample.error)) {
    return { error: `CEL type error: ${sample.error}` };
  }
  return { program };
}

function toCel(request: WhenRequest): Map<string, CelInput> {
  // Whole numbers are CEL ints (bigint) so `request.hour >= 8` compares int with int.
  return new Map<string, CelInput>([
    ['hour', BigInt(request.hour)],
    ['weekday', BigInt(request.weekday)],
    ['duration', BigInt(Math.round(request.duration))],
    ['riskScore', BigInt(Math.round(request.riskScore))],
    ['scopes', [...request.scopes]],
    ['requester', request.requester],
    ['reason', request.reason],
    ['ticket', request.ticket],
    ['breakGlass', request.breakGlass],
  ]);
}

function cleanMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^<input>:(\d+):(\d+):\s*/, 'at $1:$2: ');
}

/**
 * Walks the AST: only `request` and comprehension variables (`locals`) exist; only known fields and functions.
 */
function checkExpr(expr: Expr | undefined, locals: ReadonlySet<string>, problems: string[]): void {
  if (!expr) return;
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'identExpr':
      if (kind.value.name !== 'request' && !locals.has(kind.value.name)) {
        problems.push(`unknown variable "${kind.value.name}" (only request.* is defined)`);
      }
      return;
    case 'selectExpr': {
      const operand = kind.value.operand;
      if (operand?.exprKind.case === 'identExpr' && operand.exprKind.value.name === 'request' && !locals.has('request')) {
        if (!(WHEN_FIELDS as readonly string[]).includes(kind.value.field)) {
          problems.push(`unknown field request.${kind.value.field} (known: ${WHEN_FIELDS.join(', ')})`);
        }
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
