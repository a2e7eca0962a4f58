import { describe, expect, it } from 'vitest';
import { StintError } from '../../src/domain/errors.ts';
import { awsSessionPolicy, formatNarrowing, parseNarrowing } from '../../src/domain/narrowing.ts';

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

describe('parseNarrowing, AWS grammar (session policies)', () => {
  const awsRefusal = (text: string) => {
    try {
      parseNarrowing(text, 'aws');
    } catch (err) {
      if (err instanceof StintError) return err;
      throw err;
    }
    throw new Error('expected a refusal');
  };

  it('reads actions on resource ARNs per statement and writes them back', () => {
    const narrowing = parseNarrowing('s3:GetObject, s3:ListBucket on arn:aws:s3:::exports, arn:aws:s3:::exports/*; dynamodb:GetItem on arn:aws:dynamodb:eu-west-1:123456789012:table/orders', 'aws');
    expect(narrowing).toEqual([
      { actions: ['s3:GetObject', 's3:ListBucket'], resources: ['arn:aws:s3:::exports', 'arn:aws:s3:::exports/*'] },
      { actions: ['dynamodb:GetItem'], resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/orders'] },
    ]);
    expect(formatNarrowing(narrowing)).toBe('s3:GetObject, s3:ListBucket on arn:aws:s3:::exports, arn:aws:s3:::exports/*; dynamodb:GetItem on arn:aws:dynamodb:eu-west-1:123456789012:table/orders');
  });

  it('becomes an Allow-only session policy, one statement each', () => {
    const policy = JSON.parse(awsSessionPolicy(parseNarrowing('s3:Get* on *', 'aws') as never));
    expect(policy).toEqual({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['s3:Get*'], Resource: ['*'] }] });
  });

  it.each([
    ['GetObject on arn:aws:s3:::x', '"GetObject" is not an AWS action'],
    ['s3:GetObject on bucket-name', '"bucket-name" is not a resource ARN'],
    ['s3:GetObject', 'is not "<actions> on <resource ARNs>"'],
    [Array.from({ length: 20 }, (_, i) => `s3:GetObject on arn:aws:s3:::bucket-with-a-long-name-${i}/*, arn:aws:s3:::bucket-with-a-long-name-${i}`).join('; '), 'AWS takes at most 2048'],
  ])('refuses %j with a message that shows the right form', (text, message) => {
    const error = awsRefusal(text);
    expect([error.code, error.details]).toEqual(['INVALID_BODY', { field: 'narrowing' }]);
    expect(error.message).toContain(message);
    expect(error.message).toContain('Write it as "s3:GetObject');
  });
});
