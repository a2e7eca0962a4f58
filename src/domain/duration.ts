import { StintError } from './errors.ts';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
const SHORT = /^(\d+)\s*([smhdw])$/i;
// Compound short forms such as `1h30m`.
const COMPOUND = /^(?:\d+[smhdw])+$/i;
const ISO = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i;

/** Ten years: anything longer is certainly a typo, and would overflow timestamps downstream. */
export const MAX_DURATION_SECONDS = 10 * 365 * 86_400;

/**
 * Parses `45s`, `15m`, `2h`, `1d`, `1h30m` or ISO 8601 (`PT2H`, `P1D`) into whole seconds.
 * Throws INVALID_DURATION for anything else, for zero and for absurd values.
 */
export function parseDuration(text: string): number {
  const input = text.trim();
  let seconds: number | undefined;
  const short = SHORT.exec(input);
  if (short) {
    seconds = Number(short[1]) * UNIT_SECONDS[short[2]!.toLowerCase()]!;
  } else if (COMPOUND.test(input)) {
    seconds = 0;
    for (const part of input.matchAll(/(\d+)([smhdw])/gi)) {
      seconds += Number(part[1]) * UNIT_SECONDS[part[2]!.toLowerCase()]!;
    }
  } else {
    const iso = ISO.exec(input);
    if (iso && input.toUpperCase() !== 'P' && !input.toUpperCase().endsWith('T')) {
      const [, w, d, h, m, s] = iso;
      seconds =
        Number(w ?? 0) * 604_800 + Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
    }
  }
  if (seconds === undefined || !Number.isFinite(seconds)) {
    throw new StintError(
      'INVALID_DURATION',
      `"${text}" is not a duration: use a number and a unit, such as 45s, 15m, 2h or 1d (or ISO 8601 like PT2H)`,
      { duration: text },
    );
  }
  if (seconds <= 0) {
    throw new StintError('INVALID_DURATION', `Duration "${text}" must be longer than zero`, { duration: text });
  }
  if (seconds > MAX_DURATION_SECONDS) {
    throw new StintError('INVALID_DURATION', `Duration "${text}" is longer than ten years: that cannot be meant`, {
      duration: text,
    });
  }
  return seconds;
}

/** The shortest exact human form: 7200 → `2h`, 5400 → `1h30m`, 45 → `45s`. */
export function formatDuration(totalSeconds: number): string {
  if (totalSeconds <= 0) return '0s';
  const parts: string[] = [];
  let rest = Math.round(totalSeconds);
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
