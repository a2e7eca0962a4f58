/**
 * chain.ts carries its own RFC 8785 serializer for speed; every stored hash depends on it matching the
 * `canonicalize` package byte for byte. These properties compare the two on random JSON values.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalEvent, canonicalEventParts, canonicalJson, hashEvent, type ChainedFields } from '../../src/audit/chain.ts';

/** Characters where serializers tend to differ: escapes, controls, DEL, separators, astral pairs. */
const TRICKY = [
  ...['"', '\\', '/', '\u0000', '\b', '\t', '\n', '\f', '\r', '\u001f', '\u007f', '\u0080', '\u2028', '\u2029'],
  ...['\ud83d\ude00', '\ufb33', '€', 'ö', 'a', 'A', '1', '_'],
];
const unit = fc.oneof(fc.constantFrom(...TRICKY), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
const text = fc.string({ unit, maxLength: 12 });
const number = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom(0, -0, 1e21, 1e-7, 0.1, 5e-324, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE),
);

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    number,
    text,
    fc.array(fc.oneof(tie('value'), fc.constant(undefined)), { maxLength: 6 }),
    // Up to 24 keys: both sides of the small-object insertion sort in chain.ts.
    fc.dictionary(text, fc.oneof(tie('value'), fc.constant(undefined)), { maxKeys: 24 }),
  ),
}));

function outcome(serialize: () => string | undefined): { text: string | undefined } | { error: string } {
  try {
    return { text: serialize() };
  } catch (error) {
    return { error: String(error) };
  }
}

/** The event serialisation as chain.ts did it before the fast path (through the package). */
function referenceCanonicalEvent(event: ChainedFields): string | undefined {
  return canonicalize({
    seq: Number(event.seq),
    at: event.at.getTime(),
    actor: event.actor,
    action: event.action,
    requestId: event.requestId,
    data: event.data,
    prevHash: event.prevHash,
  });
}

describe('canonicalJson', () => {
  it('matches the canonicalize package on random JSON values', () => {
    fc.assert(
      fc.property(value, (input) => {
        expect(canonicalJson(input)).toBe(canonicalize(input));
      }),
      { numRuns: 3000 },
    );
  });

  it('matches the package, errors included, on strings with lone surrogates', () => {
    const codeUnit = fc.integer({ min: 0xd7f0, max: 0xe010 }).map((code) => String.fromCharCode(code));
    const withSurrogates = fc.string({ unit: fc.oneof(codeUnit, fc.constantFrom(...TRICKY)), maxLength: 8 });
    fc.assert(
      fc.property(withSurrogates, withSurrogates, (key, item) => {
        const input = { [key]: [item] };
        expect(outcome(() => canonicalJson(input))).toEqual(outcome(() => canonicalize(input)));
      }),
      { numRuns: 2000 },
    );
  });

  it('matches the package on values outside plain JSON', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const inputs: unknown[] = [
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      { at: new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 6)) },
      [new Date(0), { toJSON: () => ({ b: 2, a: 1 }) }],
      { skipped: undefined, kept: [undefined, Symbol('s')] },
      // eslint-disable-next-line no-sparse-arrays
      [, 1],
      cyclic,
      { n: 10n },
    ];
    for (const input of inputs) {
      expect(outcome(() => canonicalJson(input))).toEqual(outcome(() => canonicalize(input)));
    }
  });

  // RFC 8785 section 3.2.2 example.
  it('serialises the RFC 8785 sample object', () => {
    const input = {
      numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
      string: '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/',
      literals: [null, true, false],
    };
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  // RFC 8785 section 3.2.3: keys sorted by UTF-16 code units, so the astral emoji (U+D83D…) sorts before U+FB33.
  it('sorts non-ASCII keys by UTF-16 code units', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  // RFC 8785 appendix B: IEEE 754 bit patterns and their canonical text.
  it.each([
    ['0000000000000000', '0'],
    ['8000000000000000', '0'],
    ['0000000000000001', '5e-324'],
    ['8000000000000001', '-5e-324'],
    ['7fefffffffffffff', '1.7976931348623157e+308'],
    ['ffefffffffffffff', '-1.7976931348623157e+308'],
    ['4340000000000000', '9007199254740992'],
    ['c340000000000000', '-9007199254740992'],
    ['4430000000000000', '295147905179352830000'],
    ['44b52d02c7e14af5', '9.999999999999997e+22'],
    ['44b52d02c7e14af6', '1e+23'],
    ['44b52d02c7e14af7', '1.0000000000000001e+23'],
    ['444b1ae4d6e2ef4e', '999999999999999700000'],
    ['444b1ae4d6e2ef4f', '999999999999999900000'],
    ['444b1ae4d6e2ef50', '1e+21'],
    ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
    ['3eb0c6f7a0b5ed8d', '0.000001'],
    ['41b3de4355555553', '333333333.3333332'],
    ['41b3de4355555554', '333333333.33333325'],
    ['41b3de4355555555', '333333333.3333333'],
    ['41b3de4355555556', '333333333.3333334'],
    ['41b3de4355555557', '333333333.33333343'],
    ['becbf647612f3696', '-0.0000033333333333333333'],
    ['43143ff3c1cb0959', '1424953923781206.2'],
  ])('writes the double 0x%s as %s', (bits, expected) => {
    const view = new DataView(new ArrayBuffer(8));
    view.setBigUint64(0, BigInt(`0x${bits}`));
    expect(canonicalJson(view.getFloat64(0))).toBe(expected);
  });

  it('writes 1e21, 0.1 and -0 as RFC 8785 requires', () => {
    expect(canonicalJson([1e21, 0.1, -0, 1e20, 1e-7])).toBe('[1e+21,0.1,0,100000000000000000000,1e-7]');
  });
});

describe('canonicalEvent and hashEvent', () => {
  const event = fc.record({
    seq: fc.bigInt({ min: 1n, max: 2n ** 53n }),
    at: fc.oneof(
      fc.date({ noInvalidDate: true }),
      fc.constantFrom(-1, 0, 999_999, 1_000_000, 1_000_001, 1_735_689_600_123, 8.64e15).map((ms) => new Date(ms)),
    ),
    actor: text,
    action: text,
    requestId: fc.option(text, { nil: null }),
    data: fc.dictionary(text, value, { maxKeys: 8 }),
    prevHash: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }),
  });

  it('serialise and hash exactly as the package-based chain did', () => {
    fc.assert(
      fc.property(event, (input) => {
        const reference = referenceCanonicalEvent(input);
        expect(canonicalEvent(input)).toBe(reference);
        expect(hashEvent(input)).toBe(
          createHash('sha256')
            .update(input.prevHash)
            .update(reference ?? '')
            .digest('hex'),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('cuts an event around prevHash and seq so that head + prevHash + tail + seq + "}" is its canonical JSON', () => {
    // The commit-time trigger (store/audit-store.ts) glues the parts in SQL; data may even hold the cut's marker.
    const sneaky = event.map((input) => ({ ...input, data: { ...input.data, prevHash: 'P'.repeat(64), '"prevHash":"': 'P'.repeat(64) } }));
    fc.assert(
      fc.property(fc.oneof(event, sneaky), (input) => {
        const { head, tail } = canonicalEventParts(input);
        expect(head + input.prevHash + tail + Number(input.seq).toString() + '}').toBe(canonicalEvent(input));
      }),
      { numRuns: 1000 },
    );
  });
});
