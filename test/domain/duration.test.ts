import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/domain/duration.ts';
import { StintError } from '../../src/domain/errors.ts';

describe('parseDuration', () => {
  it.each([
    ['45s', 45],
    ['15m', 900],
    ['2h', 7200],
    ['1d', 86_400],
    ['1h30m', 5400],
    ['PT2H', 7200],
    ['PT90M', 5400],
    ['P1D', 86_400],
    ['P1DT2H', 93_600],
    [' 2H ', 7200],
  ])('reads %s as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['0m', '-1h', '', 'h', '2 hours', 'P', 'PT', '1.5h', '99999d', 'PT0S'])('refuses %j with INVALID_DURATION', (text) => {
    expect(() => parseDuration(text)).toThrowError(expect.objectContaining({ code: 'INVALID_DURATION' }));
  });

  it('names the examples in its message', () => {
    try {
      parseDuration('soon');
    } catch (err) {
      expect((err as StintError).message).toMatch(/15m, 2h or 1d/);
    }
  });

  it('formats back to a parseable form for any positive duration (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3650 * 86_400 }), (seconds) => {
        expect(parseDuration(formatDuration(seconds))).toBe(seconds);
      }),
    );
  });

  it('never throws anything but a StintError on random text (property)', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parseDuration(text);
        } catch (err) {
          expect(err).toBeInstanceOf(StintError);
        }
      }),
    );
  });
});
