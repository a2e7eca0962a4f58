import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatMarker, parseMarker } from '../../../src/providers/ldap/grant-marker.ts';

const marker = fc.record({
  grantId: fc.stringMatching(/^[0-9a-f]{16}$/),
  preexisting: fc.boolean(),
  requestId: fc.string({ minLength: 1 }),
  resourceId: fc.string({ minLength: 1 }),
  // A DN or uid as written: anything on one line, spaces included.
  value: fc.string({ minLength: 1 }).filter((v) => !/[\r\n\u2028\u2029]/.test(v)),
});

describe('ldap grant markers', () => {
  it('reads back every marker it writes, whatever the ids and value hold', () => {
    fc.assert(
      fc.property(marker, (m) => {
        const raw = formatMarker(m);
        expect(parseMarker(raw)).toEqual([{ ...m, raw }]);
      }),
    );
  });

  it('ignores descriptions that are not its markers', () => {
    const other = fc.string().filter((text) => !text.startsWith('stint-grant '));
    fc.assert(
      fc.property(other, (text) => {
        expect(parseMarker(text)).toEqual([]);
      }),
    );
    expect(parseMarker('stint-grant 0123456789abcdef added %E0%A4%A bad-escape uid=x')).toEqual([]);
  });
});
