/** Shared test helpers: the example policy and a way to catch the POLICY_INVALID error of a bad file. */
import { readFileSync } from 'node:fs';
import { StintError } from '../../src/domain/errors.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import type { Policy } from '../../src/policy/model.ts';

export const EXAMPLE_YAML = readFileSync(new URL('../../examples/stint.yaml', import.meta.url), 'utf8');

export function examplePolicy(): Policy {
  return parsePolicy(EXAMPLE_YAML, 'stint.yaml');
}

/** The example with `from` replaced by `to` (which must occur exactly once). */
export function exampleWith(from: string, to: string): string {
  const at = EXAMPLE_YAML.indexOf(from);
  if (at < 0 || EXAMPLE_YAML.indexOf(from, at + 1) >= 0) throw new Error(`"${from}" must occur once in the example`);
  return EXAMPLE_YAML.slice(0, at) + to + EXAMPLE_YAML.slice(at + from.length);
}

/** The 1-based line of the first occurrence of `needle` in `text`. */
export function lineOfText(text: string, needle: string): number {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`"${needle}" not found`);
  return text.slice(0, at).split('\n').length;
}

export function policyError(text: string, source = 'stint.yaml'): StintError {
  try {
    parsePolicy(text, source);
  } catch (err) {
    if (err instanceof StintError) return err;
    throw err;
  }
  throw new Error('expected the policy to be refused');
}

/** A small valid policy to build variations on. */
export function minimalYaml(extra = ''): string {
  return `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [sre] }
  - { id: bob, email: bob@example.com, groups: [sre] }
  - { id: carol, email: carol@example.com, groups: [dba] }
  - { id: dave, email: dave@example.com, groups: [dba] }
  - { id: frank, email: frank@example.com, groups: [dba], disabled: true }
resources:
  - { id: db, provider: { type: postgres }, maxDuration: 4h, workflow: review }
workflows:
  review:
    eligible: [group:sre]
    approvers: [group:dba]
${extra}`;
}
