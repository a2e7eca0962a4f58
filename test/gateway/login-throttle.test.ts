/** Failed gateway logins per address: a block after the limit within the window, its end, and the table's bound. */
import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../src/gateway/login-throttle.ts';

const T0 = Date.parse('2026-12-03T10:00:00Z');

describe('gateway login throttle', () => {
  it('blocks an address at its tenth failure within a minute, for five minutes, by default', () => {
    const throttle = new LoginThrottle();
    for (let i = 0; i < 9; i++) expect(throttle.recordFailure('203.0.113.7', T0 + i * 1000)).toBeUndefined();
    expect(throttle.blockedUntil('203.0.113.7', T0 + 9000)).toBeUndefined();
    expect(throttle.recordFailure('203.0.113.7', T0 + 9000)).toBe(T0 + 9000 + 300_000);
    expect(throttle.blockedUntil('203.0.113.7', T0 + 10_000)).toBe(T0 + 309_000);
    expect(throttle.blockedUntil('203.0.113.8', T0 + 10_000)).toBeUndefined();
    expect(throttle.blockedUntil('203.0.113.7', T0 + 309_000)).toBeUndefined();
  });

  it('forgets failures older than the window', () => {
    const throttle = new LoginThrottle({ limit: 3, windowMs: 60_000 });
    throttle.recordFailure('198.51.100.1', T0);
    throttle.recordFailure('198.51.100.1', T0 + 30_000);
    expect(throttle.recordFailure('198.51.100.1', T0 + 61_000)).toBeUndefined();
    expect(throttle.recordFailure('198.51.100.1', T0 + 62_000)).toBe(T0 + 62_000 + 300_000);
  });

  it('starts counting afresh once a block has ended', () => {
    const throttle = new LoginThrottle({ limit: 2, blockMs: 1000 });
    throttle.recordFailure('198.51.100.1', T0);
    expect(throttle.recordFailure('198.51.100.1', T0 + 1)).toBe(T0 + 1001);
    expect(throttle.recordFailure('198.51.100.1', T0 + 2000)).toBeUndefined();
  });

  it('counts an IPv6 /64 as one address, and an IPv4-mapped address as its IPv4', () => {
    const throttle = new LoginThrottle({ limit: 3 });
    throttle.recordFailure('2001:db8:1:2::1', T0);
    throttle.recordFailure('2001:0db8:0001:0002:ffff:1:2:3', T0);
    expect(throttle.recordFailure('2001:db8:1:2:abcd::9', T0)).toBeDefined();
    expect(throttle.blockedUntil('2001:db8:1:3::1', T0)).toBeUndefined();
    throttle.recordFailure('192.0.2.5', T0);
    throttle.recordFailure('::ffff:192.0.2.5', T0);
    expect(throttle.recordFailure('192.0.2.5', T0)).toBeDefined();
  });

  it('keeps at most maxAddresses entries, dropping the one seen longest ago', () => {
    const throttle = new LoginThrottle({ limit: 2, maxAddresses: 2 });
    throttle.recordFailure('192.0.2.1', T0);
    throttle.recordFailure('192.0.2.2', T0);
    throttle.recordFailure('192.0.2.1', T0); // blocks .1 and makes it the most recent
    throttle.recordFailure('192.0.2.3', T0); // drops .2
    expect(throttle.blockedUntil('192.0.2.1', T0)).toBeDefined();
    expect(throttle.recordFailure('192.0.2.2', T0)).toBeUndefined(); // counted from zero again
  });
});
