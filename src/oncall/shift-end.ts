/**
 * When the person on call in a built-in rotation stops being on call: the next handoff (local wall-clock time
 * in the rotation's zone, like `onCallAt`) or override boundary after which someone else is on call.
 */
import { onCallAt, type OncallRotation } from '../policy/index.ts';
import { parseLocalDateTime, wallClockMs, wallClockToInstant } from '../policy/zoned-time.ts';

/** Enough to step over back-to-back overrides of the same person. */
const MAX_BOUNDARIES = 64;

function nextHandoffAfter(rotation: OncallRotation, t: Date, zone: string): Date | undefined {
  if (!rotation.rotation?.length || !rotation.shiftSec || !rotation.handoff) return undefined;
  const shiftMs = rotation.shiftSec * 1000;
  const first = wallClockMs(parseLocalDateTime(rotation.handoff, zone), zone);
  for (let k = Math.floor((wallClockMs(t, zone) - first) / shiftMs) + 1; ; k++) {
    const instant = wallClockToInstant(first + k * shiftMs, zone);
    if (instant.getTime() > t.getTime()) return instant;
  }
}

/** The instant after `at` at which someone other than the person on call at `at` takes over; undefined if never. */
export function shiftEndsAt(rotation: OncallRotation, at: Date, fallbackZone = 'UTC'): Date | undefined {
  const zone = rotation.timezone ?? fallbackZone;
  const person = onCallAt(rotation, at, fallbackZone);
  let t = at;
  for (let i = 0; i < MAX_BOUNDARIES; i++) {
    const later = (d: Date | undefined): d is Date => d !== undefined && d.getTime() > t.getTime();
    const candidates = [nextHandoffAfter(rotation, t, zone), ...rotation.overrides.flatMap((o) => [o.from, o.to])].filter(later);
    if (candidates.length === 0) return undefined;
    const boundary = new Date(Math.min(...candidates.map((d) => d.getTime())));
    if (onCallAt(rotation, boundary, fallbackZone) !== person) return boundary;
    t = boundary;
  }
  return undefined;
}
