/**
 * Who is on call for a built-in rotation at a given instant. Handoffs happen at the same local wall-clock
 * time (the first `handoff`, then every `shift`) in the rotation's time zone, so a DST change does not move
 * them. PagerDuty and Opsgenie schedules are answered by their adapters, not here.
 */
import type { OncallRotation } from './model.ts';
import { parseLocalDateTime, wallClockMs } from './zoned-time.ts';

/** The person on call at `at`, or undefined (external schedule, or nothing to resolve). */
export function onCallAt(rotation: OncallRotation, at: Date, fallbackZone = 'UTC'): string | undefined {
  for (const o of rotation.overrides) {
    if (o.from.getTime() <= at.getTime() && at.getTime() < o.to.getTime()) return o.person;
  }
  const members = rotation.rotation;
  if (!members || members.length === 0 || !rotation.shiftSec || !rotation.handoff) return undefined;
  const zone = rotation.timezone ?? fallbackZone;
  const firstHandoff = wallClockMs(parseLocalDateTime(rotation.handoff, zone), zone);
  const shifts = Math.floor((wallClockMs(at, zone) - firstHandoff) / (rotation.shiftSec * 1000));
  // Before the first handoff the rotation runs backwards, so any instant has someone on call.
  return members[((shifts % members.length) + members.length) % members.length];
}

/** Everyone who could ever be on call in this rotation; undefined for an external schedule (unknown). */
export function everyoneOnCall(rotation: OncallRotation): string[] | undefined {
  if (!rotation.rotation) return undefined;
  return [...new Set([...rotation.rotation, ...rotation.overrides.map((o) => o.person)])];
}
