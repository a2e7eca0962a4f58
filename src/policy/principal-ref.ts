/**
 * Principal references as written in the policy: `group:sre`, `person:alice` (or bare `alice`),
 * `oncall:sre-primary`; notification targets may also be `channel:slack:#db-access` / `channel:teams:19:…`.
 */

export type PrincipalRef =
  | { kind: 'group'; name: string }
  | { kind: 'person'; name: string }
  | { kind: 'oncall'; name: string };

export type NotifyRef = PrincipalRef | { kind: 'channel'; platform: 'slack' | 'teams'; name: string };

/** Parses a principal reference; `undefined` for an unknown prefix or an empty name. */
export function parsePrincipalRef(ref: string): PrincipalRef | undefined {
  const colon = ref.indexOf(':');
  if (colon < 0) return ref.length > 0 ? { kind: 'person', name: ref } : undefined;
  const prefix = ref.slice(0, colon);
  const name = ref.slice(colon + 1);
  if (name.length === 0) return undefined;
  if (prefix === 'group' || prefix === 'person' || prefix === 'oncall') return { kind: prefix, name };
  return undefined;
}

export function parseNotifyRef(ref: string): NotifyRef | undefined {
  const channel = /^channel:(slack|teams):(.+)$/.exec(ref);
  if (channel) return { kind: 'channel', platform: channel[1] as 'slack' | 'teams', name: channel[2]! };
  return parsePrincipalRef(ref);
}
