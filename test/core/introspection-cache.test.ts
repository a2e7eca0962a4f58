/** The introspection cache: at most maxAgeMs old on its own clock, bounded, forgetting a request's entries at once. */
import { describe, expect, it } from 'vitest';
import { IntrospectionCache } from '../../src/core/introspection-cache.ts';
import type { JitCredentialLookup } from '../../src/core/ports.ts';

const lookup = (requestId: string): JitCredentialLookup => ({
  requestId,
  principalId: 'alice',
  scopes: ['data:write'],
  expiresAt: new Date('2030-01-01T00:00:00Z'),
  revokedAt: null,
  createdAt: new Date('2029-01-01T00:00:00Z'),
  requestStatus: 'ACTIVE',
  requestRequesterId: 'alice',
  requestReason: 'INC-1 debug',
  requestTicket: null,
  serviceAccountSuspended: null,
});

function cache(options: { maxEntries?: number } = {}) {
  let now = 0;
  const c = new IntrospectionCache({ now: () => now, ...options });
  return { c, advance: (ms: number) => (now += ms), set: (ms: number) => (now = ms) };
}

describe('IntrospectionCache', () => {
  it('answers an entry younger than 1 s and drops it at 1 s', () => {
    const { c, advance } = cache();
    c.set('h1', lookup('r1'));
    advance(999);
    expect(c.get('h1')).toMatchObject({ requestId: 'r1' });
    advance(1);
    expect(c.get('h1')).toBeUndefined();
  });

  it('counts the time of the read in the age (set with the moment the read began)', () => {
    const { c, advance } = cache();
    const since = c.clock();
    advance(600);
    c.set('h1', lookup('r1'), since);
    advance(400);
    expect(c.get('h1')).toBeUndefined();
  });

  it('treats a clock that went backwards as stale', () => {
    const { c, set } = cache();
    set(5_000);
    c.set('h1', lookup('r1'));
    set(4_000);
    expect(c.get('h1')).toBeUndefined();
  });

  it('remembers unknown hashes as null', () => {
    const { c } = cache();
    c.set('nope', null);
    expect(c.get('nope')).toBeNull();
  });

  it("forgets every entry of a request at once, and does not keep a read that overlapped the forget", () => {
    const { c, advance } = cache();
    c.set('old', lookup('r1'));
    c.set('other', lookup('r2'));
    const since = c.clock();
    advance(10);
    c.forget('r1');
    c.set('new', lookup('r1'), since);
    expect(c.get('old')).toBeUndefined();
    expect(c.get('new')).toBeUndefined();
    expect(c.get('other')).toMatchObject({ requestId: 'r2' });
  });

  it('holds at most maxEntries, dropping the oldest', () => {
    const { c } = cache({ maxEntries: 2 });
    c.set('a', lookup('r1'));
    c.set('b', lookup('r2'));
    c.set('c', lookup('r3'));
    expect(c.size).toBe(2);
    expect(c.get('a')).toBeUndefined();
    expect(c.get('c')).toMatchObject({ requestId: 'r3' });
  });
});
