import { describe, expect, it } from 'vitest';
import { shiftEndsAt } from '../../src/oncall/shift-end.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { minimalYaml } from '../policy/helpers.ts';
import { oncallPolicy } from './oncall-fixture.ts';

const policy = oncallPolicy();
const weekly = policy.oncall['sre-primary']!;
const ends = (iso: string) => shiftEndsAt(weekly, new Date(iso), policy.timezone)?.toISOString();

describe('when a built-in shift ends', () => {
  it('ends a plain shift at the next local handoff', () => {
    expect(ends('2026-04-01T12:00:00Z')).toBe('2026-04-06T07:00:00.000Z'); // Monday 09:00 CEST
  });

  it('ends a shift early when an override of someone else starts', () => {
    expect(ends('2026-04-07T12:00:00Z')).toBe('2026-04-07T22:00:00.000Z'); // override from 2026-04-08 00:00 Berlin
  });

  it('ends an override when it ends', () => {
    expect(ends('2026-04-08T12:00:00Z')).toBe('2026-04-08T22:00:00.000Z');
  });

  it('keeps the daily handoff at 09:00 local across the DST change', () => {
    const p = parsePolicy(minimalYaml(`timezone: Europe/Berlin\noncall:\n  daily: { rotation: [alice, bob], shift: 1d, handoff: "2026-03-27T09:00" }\n`), 'p.yaml');
    expect(shiftEndsAt(p.oncall.daily!, new Date('2026-03-28T12:00:00Z'), p.timezone)?.toISOString()).toBe('2026-03-29T07:00:00.000Z');
  });

  it('never ends for a rotation of one person', () => {
    const p = parsePolicy(minimalYaml(`oncall:\n  solo: { rotation: [alice], shift: 1d, handoff: "2026-03-27T09:00" }\n`), 'p.yaml');
    expect(shiftEndsAt(p.oncall.solo!, new Date('2026-03-28T12:00:00Z'), p.timezone)).toBeUndefined();
  });
});
