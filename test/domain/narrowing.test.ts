import { describe, expect, it } from 'vitest';
import { StintError } from '../../src/domain/errors.ts';
import { formatNarrowing, parseNarrowing } from '../../src/domain/narrowing.ts';

const refusal = (text: string) => {
  try {
    parseNarrowing(text);
  } catch (err) {
    if (err instanceof StintError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('parseNarrowing', () => {
  it('reads privileges per table, merges repeats, and writes them back in a fixed order', () => {
    const narrowing = parseNarrowing('update, select on orders.items; SELECT on orders.shipments; insert on orders.items');
    expect(narrowing).toEqual([
      { table: 'orders.items', privileges: ['SELECT', 'INSERT', 'UPDATE'] },
      { table: 'orders.shipments', privileges: ['SELECT'] },
    ]);
    expect(formatNarrowing(narrowing)).toBe('SELECT, INSERT, UPDATE on orders.items; SELECT on orders.shipments');
  });

  it('accepts a table without a schema', () => {
    expect(parseNarrowing('SELECT on shipments')).toEqual([{ table: 'shipments', privileges: ['SELECT'] }]);
  });

  it.each([
    ['', 'The narrowing is empty'],
    ['SELECT orders.shipments', '"SELECT orders.shipments" is not "<privileges> on <table>"'],
    ['TRUNCATE on orders.shipments', '"TRUNCATE" is not one of SELECT, INSERT, UPDATE, DELETE'],
    ['SELECT on orders.shipments;drop', '"drop" is not "<privileges> on <table>"'],
    ['SELECT on "orders".x', 'is not a table name'],
    ['SELECT on a.b.c', 'is not a table name'],
  ])('refuses %j with a message that shows the right form', (text, message) => {
    const error = refusal(text);
    expect(error.code).toBe('INVALID_BODY');
    expect(error.details).toEqual({ field: 'narrowing' });
    expect(error.message).toContain(message);
    expect(error.message).toContain('SELECT on orders.shipments; SELECT, UPDATE on orders.items');
  });
});
