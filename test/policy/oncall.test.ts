import { describe, expect, it } from 'vitest';
import { expandPrincipals, parsePolicy } from '../../src/policy/index.ts';
import { minimalYaml } from './helpers.ts';

// Europe/Berlin moves from CET (UTC+1) to CEST (UTC+2) on Sunday 2026-03-29.
const policy = parsePolicy(
  minimalYaml(`timezone: Europe/Berlin
oncall:
  weekly:
    rotation: [alice, bob]
    shift: 1w
    handoff: "2026-03-23T09:00"
    overrides:
      - { from: "2026-04-08T00:00", to: "2026-04-09T00:00", person: carol }
  daily: { rotation: [alice, bob, dave], shift: 1d, handoff: "2026-03-27T09:00", timezone: Europe/Berlin }
  with-disabled: { rotation: [frank, alice], shift: 1w, handoff: "2026-03-23T09:00" }
`),
  'p.yaml',
);

const onCall = (name: string, iso: string) => [...expandPrincipals(policy, [`oncall:${name}`], new Date(iso))];

describe('built-in on-call rotations', () => {
  it('has the first person on call from the first handoff', () => {
    expect(onCall('weekly', '2026-03-23T08:00:00Z')).toEqual(['alice']); // 09:00 CET
  });

  it('hands off after one shift', () => {
    expect(onCall('weekly', '2026-04-01T12:00:00Z')).toEqual(['bob']);
  });

  it('hands off at the local handoff time after a DST change, not an hour late', () => {
    // 2026-03-30 09:00 in Berlin is 07:00 UTC (CEST); a UTC-only rotation would hand off at 08:00 UTC.
    expect(onCall('weekly', '2026-03-30T06:59:00Z')).toEqual(['alice']);
    expect(onCall('weekly', '2026-03-30T07:00:00Z')).toEqual(['bob']);
  });

  it('keeps daily handoffs at 09:00 local across the DST night', () => {
    expect(onCall('daily', '2026-03-28T07:59:00Z')).toEqual(['alice']); // 08:59 CET
    expect(onCall('daily', '2026-03-28T08:00:00Z')).toEqual(['bob']); // 09:00 CET
    expect(onCall('daily', '2026-03-29T06:59:00Z')).toEqual(['bob']); // 08:59 CEST
    expect(onCall('daily', '2026-03-29T07:00:00Z')).toEqual(['dave']); // 09:00 CEST
  });

  it('runs the rotation backwards before the first handoff', () => {
    expect(onCall('weekly', '2026-03-23T07:59:00Z')).toEqual(['bob']);
  });

  it('puts the override person on call during the override', () => {
    expect(onCall('weekly', '2026-04-08T12:00:00Z')).toEqual(['carol']);
  });

  it('returns to the rotation when the override ends', () => {
    expect(onCall('weekly', '2026-04-08T22:00:00Z')).toEqual(['alice']); // 2026-04-09 00:00 CEST, third week
  });

  it('leaves nobody on call when the person on shift is disabled', () => {
    expect(onCall('with-disabled', '2026-03-24T12:00:00Z')).toEqual([]);
    expect(onCall('with-disabled', '2026-03-31T12:00:00Z')).toEqual(['alice']);
  });
});
