import { describe, expect, it } from 'vitest';
import { globMatch, literalPrefix } from '../../src/policy/glob.ts';

describe('resource id globs', () => {
  it('matches any run of characters, also none, with *', () => {
    expect(globMatch('dev-*', 'dev-')).toBe(true);
    expect(globMatch('dev-*', 'dev-payments')).toBe(true);
    expect(globMatch('dev-*', 'prod-dev-x')).toBe(false);
  });

  it('backtracks over several stars', () => {
    expect(globMatch('a*b*c', 'aXbYbZc')).toBe(true);
    expect(globMatch('a*b*c', 'aXbYbZ')).toBe(false);
  });

  it('matches exactly one character with ?', () => {
    expect(globMatch('db-?', 'db-1')).toBe(true);
    expect(globMatch('db-?', 'db-')).toBe(false);
  });

  it('treats the text before the first wildcard as the literal prefix', () => {
    expect(literalPrefix('dev-pay*')).toBe('dev-pay');
    expect(literalPrefix('db-?x*')).toBe('db-');
  });
});
