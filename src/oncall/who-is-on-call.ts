/**
 * Who is on call in a policy rotation, as policy person ids. Built-in rotations are computed from the policy
 * (`onCallAt`: DST-safe handoffs, overrides); PagerDuty and Opsgenie schedules are asked through their
 * adapters and their emails matched to policy people. External answers are cached per (schedule, minute) so
 * a burst of escalations in one minute asks once; the mapping to people always uses the current policy.
 */
import type { Logger } from 'pino';
import type { Clock, PolicySource } from '../core/ports.ts';
import { StintError } from '../domain/errors.ts';
import { onCallAt, type OncallRotation, type Policy } from '../policy/index.ts';
import { didYouMean } from '../policy/suggest.ts';

export interface OnCallLookup {
  /** Person ids on call in `rotation` at `at` (enabled people only; empty when nobody is). */
  who(rotation: string, at: Date): Promise<string[]>;
}

/** What the lookup needs of an external scheduler: emails on call in a schedule at an instant. */
export interface OnCallSource {
  onCallEmails(schedule: string, at: Date): Promise<string[]>;
}

export interface OnCallLookupOptions {
  policy: PolicySource;
  /** Absent when PAGERDUTY_TOKEN is not set. */
  pagerduty?: OnCallSource;
  /** Absent when OPSGENIE_API_KEY is not set. */
  opsgenie?: OnCallSource;
  logger: Logger;
  clock: Clock;
  /** @defaultValue 60 000 ms */
  cacheMs?: number;
}

const MAX_CACHE_ENTRIES = 1000;

/** The rotation named `name`, or NOT_FOUND suggesting a close name. */
export function rotationOf(policy: Policy, name: string): OncallRotation {
  const rotation = Object.hasOwn(policy.oncall, name) ? policy.oncall[name] : undefined;
  if (rotation) return rotation;
  const names = Object.keys(policy.oncall);
  throw new StintError(
    'NOT_FOUND',
    `No on-call rotation "${name}" in the policy${didYouMean(name, names)}; rotations: ${names.length ? names.join(', ') : '(none)'}`,
    { rotation: name },
  );
}

export function createOnCallLookup(options: OnCallLookupOptions): OnCallLookup {
  const { policy: source, logger, clock, cacheMs = 60_000 } = options;
  const cache = new Map<string, { until: number; emails: Promise<string[]> }>();
  const unknownLogged = new Set<string>();

  function external(kind: 'pagerduty' | 'opsgenie', schedule: string, at: Date): Promise<string[]> {
    const adapter = options[kind];
    if (!adapter) {
      const [vendor, variable] = kind === 'pagerduty' ? ['PagerDuty', 'PAGERDUTY_TOKEN'] : ['Opsgenie', 'OPSGENIE_API_KEY'];
      throw new StintError('CONFIG_INVALID', `On-call schedule "${schedule}" is in ${vendor}, but ${variable} is not set: set it to look up who is on call`, { variable });
    }
    const now = clock.now().getTime();
    const key = `${kind}:${schedule}@${Math.floor(at.getTime() / 60_000)}`;
    const hit = cache.get(key);
    if (hit && hit.until > now) return hit.emails;
    if (cache.size >= MAX_CACHE_ENTRIES) for (const [k, v] of cache) if (v.until <= now) cache.delete(k);
    // The promise is cached, so concurrent look-ups share one call; a failure is not remembered.
    const emails = adapter.onCallEmails(schedule, at);
    cache.set(key, { until: now + cacheMs, emails });
    emails.catch(() => {
      if (cache.get(key)?.emails === emails) cache.delete(key);
    });
    return emails;
  }

  function toPeople(policy: Policy, rotation: string, emails: string[]): string[] {
    const byEmail = new Map([...policy.people.values()].map((p) => [p.email.toLowerCase(), p]));
    const ids: string[] = [];
    for (const email of emails) {
      const person = byEmail.get(email.toLowerCase());
      if (!person) {
        if (!unknownLogged.has(email)) {
          unknownLogged.add(email);
          logger.warn({ rotation, email }, 'someone on call is not in the policy (no person with this email); left out');
        }
      } else if (!person.disabled && !ids.includes(person.id)) ids.push(person.id);
    }
    return ids;
  }

  return {
    async who(name, at) {
      const policy = source.current();
      const rotation = rotationOf(policy, name);
      if (rotation.pagerduty) return toPeople(policy, name, await external('pagerduty', rotation.pagerduty.scheduleId, at));
      if (rotation.opsgenie) return toPeople(policy, name, await external('opsgenie', rotation.opsgenie.schedule, at));
      const id = onCallAt(rotation, at, policy.timezone);
      const person = id === undefined ? undefined : policy.people.get(id);
      return person && !person.disabled ? [person.id] : [];
    },
  };
}
