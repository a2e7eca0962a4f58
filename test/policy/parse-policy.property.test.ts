import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StintError } from '../../src/domain/errors.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { EXAMPLE_YAML } from './helpers.ts';

const TOKENS = [
  ':', '-', ' ', '  ', '\n', '\t', '[', ']', '{', '}', ',', '"', "'", '#', '&a ', '*a', '!!str ', '!!binary ', '<<: *a',
  '? ', '|', '>', '%YAML 1.1\n---\n', '---\n', '...', 'null', '~', '0', '-1', '1e999', '0x1F', 'true', '2h', '0s',
  '99999w', 'P1D', 'group:', 'oncall:', 'person:', 'dev-*', '?', '__proto__', 'constructor', 'version', 'workflow',
  '{ type: RESOURCE, operator: MATCHES, value: "(" }', 'when: "request.', 'Europe/Nowhere', '\u0000', '\uFEFF', '😀',
];

type Mutation =
  | { kind: 'deleteLine'; at: number }
  | { kind: 'duplicateLine'; at: number }
  | { kind: 'swapLines'; at: number; with: number }
  | { kind: 'deleteChars'; at: number; length: number }
  | { kind: 'insert'; at: number; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('deleteLine' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicateLine' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swapLines' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({ kind: fc.constant('deleteChars' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 20 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 6 })) }),
);

function apply(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const line = (n: number) => n % lines.length;
  switch (m.kind) {
    case 'deleteLine':
      lines.splice(line(m.at), 1);
      return lines.join('\n');
    case 'duplicateLine':
      lines.splice(line(m.at), 0, lines[line(m.at)]!);
      return lines.join('\n');
    case 'swapLines': {
      const [a, b] = [line(m.at), line(m.with)];
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      return lines.join('\n');
    }
    case 'deleteChars': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + text.slice(at + m.length);
    }
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
  }
}

describe('parsePolicy on mutated files', () => {
  it('either returns a policy or throws POLICY_INVALID, never another error', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
        const text = mutations.reduce(apply, EXAMPLE_YAML);
        try {
          const policy = parsePolicy(text, 'stint.yaml');
          expect(policy.version).toBe(1);
        } catch (err) {
          if (!(err instanceof StintError) || err.code !== 'POLICY_INVALID') throw err;
          expect(err.message).toMatch(/^stint\.yaml:\d+: /);
        }
      }),
      { numRuns: Number(process.env.POLICY_FUZZ_RUNS ?? 200) },
    );
  });
});
