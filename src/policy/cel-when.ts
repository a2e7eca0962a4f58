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
  /** Context signals (issue 12): "" / false / "unknown" when not known. */
  sourceIp: string;
  trustedNetwork: boolean;
  device: string;
  offHours: boolean;
  newResource: boolean;
  unusualHour: boolean;
  unusualDuration: boolean;
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
  'sourceIp',
  'trustedNetwork',
  'device',
  'offHours',
  'newResource',
  'unusualHour',
  'unusualDuration',
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
      ['sourceIp', request.sourceIp],
      ['trustedNetwork', request.trustedNetwork],
      ['device', request.device],
      ['offHours', request.offHours],
      ['newResource', request.newResource],
      ['unusualHour', request.unusualHour],
      ['unusualDuration', request.unusualDuration],
    ]),
  }),
  sample: { hour: 10, weekday: 2, duration: 3600, riskScore: 10, scopes: ['example'], requester: 'someone', reason: 'example', ticket: 'INC-1', breakGlass: false, sourceIp: '10.0.0.1', trustedNetwork: true, device: 'compliant', offHours: false, newResource: false, unusualHour: false, unusualDuration: false },
};

/** Compiles `source`; returns the program or a human message naming what is wrong. */
export function compileWhen(source: string): { program: WhenProgram } | { error: string } {
  return compileBoolean(source, WHEN_CEL);
}
