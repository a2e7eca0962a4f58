/**
 * The optional CEL `when` expression of an auto-approval. Compiled (and checked for unknown variables,
 * fields and functions) at load time so a typo is a load error with a line, not a silent runtime denial.
 */
import type { CelInput } from '@bufbuild/cel';
import { compileBoolean, type BooleanProgram, type CelVariables } from './cel-program.ts';

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

export type WhenProgram = BooleanProgram<WhenRequest>;

const WHEN_CEL: CelVariables<WhenRequest> = {
  variables: { request: WHEN_FIELDS },
  toCel: (request) => ({
    request: new Map<string, CelInput>([
      ['hour', BigInt(request.hour)],
      ['weekday', BigInt(request.weekday)],
      ['duration', BigInt(Math.round(request.duration))],
      ['riskScore', BigInt(Math.round(request.riskScore))],
      ['scopes', [...request.scopes]],
      ['requester', request.requester],
      ['reason', request.reason],
      ['ticket', request.ticket],
      ['breakGlass', request.breakGlass],
    ]),
  }),
  sample: { hour: 10, weekday: 2, duration: 3600, riskScore: 10, scopes: ['example'], requester: 'someone', reason: 'example', ticket: 'INC-1', breakGlass: false },
};

/** Compiles `source`; returns the program or a human message naming what is wrong. */
export function compileWhen(source: string): { program: WhenProgram } | { error: string } {
  return compileBoolean(source, WHEN_CEL);
}
