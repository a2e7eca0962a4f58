/**
 * Wall-clock arithmetic in an IANA time zone with nothing but `Intl`: the policy's off-hours, CEL's
 * `request.hour` and on-call handoffs are all local times that must survive DST changes.
 */

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  if (timeZone.trim() === '') return false;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

export function localParts(at: Date, timeZone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(at)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return { year, month, day, hour: hour % 24, minute, second, weekday };
}

/**
 * The local wall-clock time of `at` as if it were UTC: differences between two such values count wall-clock
 * time, so "every Monday 09:00" stays 09:00 across a DST change.
 */
export function wallClockMs(at: Date, timeZone: string): number {
  const p = localParts(at, timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) + (at.getTime() % 1000 + 1000) % 1000;
}

/** The instant at which the clocks in `timeZone` show `wallMs` (the nearest one inside a DST gap). */
export function wallClockToInstant(wallMs: number, timeZone: string): Date {
  const firstOffset = wallClockMs(new Date(wallMs), timeZone) - wallMs;
  let guess = wallMs - firstOffset;
  const secondOffset = wallClockMs(new Date(guess), timeZone) - guess;
  if (secondOffset !== firstOffset) guess = wallMs - secondOffset;
  return new Date(guess);
}

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** True for `2026-01-05`, `2026-01-05T09:00`, `2026-01-05T09:00:00+01:00`, `…Z`. */
export function isLocalDateTime(text: string): boolean {
  const m = LOCAL_DATE_TIME.exec(text.trim());
  if (!m) return false;
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = m;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  return (
    date.getUTCFullYear() === Number(y) &&
    date.getUTCMonth() === Number(mo) - 1 &&
    date.getUTCDate() === Number(d) &&
    Number(h) < 24 &&
    Number(mi) < 60 &&
    Number(s) < 60
  );
}

/** Parses a policy date-time: with `Z` or an offset it is an instant, without one it is local to `timeZone`. */
export function parseLocalDateTime(text: string, timeZone: string): Date {
  const m = LOCAL_DATE_TIME.exec(text.trim());
  if (!m || !isLocalDateTime(text)) throw new RangeError(`"${text}" is not a date-time such as 2026-01-05T09:00`);
  const [, y, mo, d, h = '0', mi = '0', s = '0', zone] = m;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (!zone) return wallClockToInstant(wall, timeZone);
  if (zone === 'Z') return new Date(wall);
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
  return new Date(wall - sign * offsetMin * 60_000);
}
