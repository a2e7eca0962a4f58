import { describe, expect, it } from 'vitest';
import { contextSignals, describeSignals, isCidr, type PastRequest } from '../../src/policy/context-signals.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { minimalYaml } from './helpers.ts';

const policy = parsePolicy(minimalYaml('trustedNetworks: [10.0.0.0/8, "2001:db8::/32", 192.0.2.7]\ntimezone: Europe/Berlin\n'), 'p.yaml');
const at = new Date('2026-11-25T09:30:00Z'); // a Wednesday, 10:30 in Berlin
const past = (scopes: string[], iso: string, durationSec = 3600): PastRequest => ({ scopes, createdAt: new Date(iso), durationSec });
const usual = [past(['db'], '2026-11-20T09:00:00Z'), past(['db'], '2026-11-18T10:00:00Z'), past(['db'], '2026-11-10T08:40:00Z', 7200)];
const signals = (over: Partial<Parameters<typeof contextSignals>[1]> = {}) =>
  contextSignals(policy, { scopes: ['db'], durationSec: 3600, at, sourceIp: '10.1.2.3', device: 'unknown', history: usual, ...over });

describe('context signals', () => {
  it('judges the source address against trustedNetworks (IPv4, IPv6, a single address, an IPv4-mapped IPv6 client)', () => {
    expect(signals().trustedNetwork).toBe(true);
    expect(signals({ sourceIp: '::ffff:10.9.9.9' })).toMatchObject({ sourceIp: '10.9.9.9', trustedNetwork: true });
    expect(signals({ sourceIp: '2001:db8::42' }).trustedNetwork).toBe(true);
    expect(signals({ sourceIp: '192.0.2.7' }).trustedNetwork).toBe(true);
    expect(signals({ sourceIp: '203.0.113.9' }).trustedNetwork).toBe(false);
  });

  it('says a chat request has no source IP, and leaves the network unjudged without trustedNetworks', () => {
    expect(signals({ sourceIp: null })).toMatchObject({ sourceIp: null, trustedNetwork: null });
    const open = parsePolicy(minimalYaml(), 'p.yaml');
    expect(contextSignals(open, { scopes: ['db'], durationSec: 60, at, sourceIp: '203.0.113.9', device: 'unknown', history: [] }).trustedNetwork).toBeNull();
  });

  it('compares with the last 90 days: a new resource, an hour never used (±1 h), a duration over twice the longest', () => {
    expect(signals()).toMatchObject({ newResource: false, unusualHour: false, unusualDuration: false });
    expect(signals({ scopes: ['db', 'other'] }).newResource).toBe(true);
    expect(signals({ at: new Date('2026-11-25T16:00:00Z') }).unusualHour).toBe(true); // 17:00 Berlin, never near
    expect(signals({ at: new Date('2026-11-25T07:59:00Z') }).unusualHour).toBe(false); // 08:59 Berlin, next to 09:40
    expect(signals({ durationSec: 14_401 }).unusualDuration).toBe(true);
    expect(signals({ durationSec: 14_400 }).unusualDuration).toBe(false);
  });

  it('has no baseline for a newcomer (fewer than 3 requests in 90 days), so nothing is unusual yet', () => {
    const old = usual.map((r) => ({ ...r, createdAt: new Date('2026-07-01T09:00:00Z') }));
    expect(signals({ history: old, scopes: ['other'], durationSec: 99_999 })).toMatchObject({ newResource: false, unusualHour: false, unusualDuration: false });
    expect(signals({ history: usual.slice(0, 2), scopes: ['other'] }).newResource).toBe(false);
  });

  it('reads off-hours in the policy time zone', () => {
    expect(signals().offHours).toBe(false);
    expect(signals({ at: new Date('2026-11-25T19:30:00Z') }).offHours).toBe(true); // 20:30 Berlin
  });

  it('describes every signal for the card, good or bad', () => {
    expect(describeSignals(signals({ sourceIp: null, device: 'noncompliant', scopes: ['other'] }), 'alice')).toEqual([
      'chat request (no source IP)',
      'device noncompliant',
      'new resource for alice',
    ]);
    expect(describeSignals(signals({ sourceIp: '203.0.113.9', device: 'compliant' }), 'alice')).toEqual(['from 203.0.113.9 (untrusted network)', 'device compliant']);
  });

  it('accepts addresses and CIDRs, and refuses anything else in trustedNetworks', () => {
    for (const ok of ['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', '::1']) expect(isCidr(ok)).toBe(true);
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'localhost', '2001:db8::/129', '10.0.0.0/8/1', '10.0.0.0/x']) expect(isCidr(bad)).toBe(false);
  });
});
