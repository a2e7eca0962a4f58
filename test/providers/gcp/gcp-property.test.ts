/**
 * Property: for any interleaving of grant / revoke / retried grant / duplicate revoke on one target, with
 * transient faults (429, 503, writes whose answer is lost, concurrent changes by others) injected before the
 * steps, the fake ends holding the request's binding exactly when the request's last successful step was a
 * grant, with one binding at most, and nobody else's binding lost. A step that fails (faults beyond the retry
 * budget) is retried the way the job queue retries it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault, Verb } from '../../fakes/gcp-iam.ts';
import { ALICE, PROJECT, ROLE, openGcpTarget, type GcpTarget } from './gcp-target.ts';

type Step =
  | { kind: 'grant' | 'revoke' }
  | { kind: 'fault'; fault: Exclude<Fault, 'denied'>; count: number; verb: Verb | undefined }
  | { kind: 'others' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant({ kind: 'grant' as const }),
  fc.constant({ kind: 'revoke' as const }),
  fc.record({
    kind: fc.constant('fault' as const),
    fault: fc.constantFrom('throttle' as const, 'unavailable' as const, 'lost' as const),
    count: fc.integer({ min: 1, max: 4 }),
    verb: fc.constantFrom('getIamPolicy' as const, 'setIamPolicy' as const, undefined),
  }),
  fc.constant({ kind: 'others' as const }),
);

describe('gcp provider, any interleaving', () => {
  let t: GcpTarget;
  beforeAll(async () => {
    t = await openGcpTarget();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('ends with the binding present exactly when the request is granted', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        t.fake.seed(PROJECT);
        t.fake.clearFaults();
        const config = t.config({ maxAttempts: 3 });
        const target = t.target({ requestId: `PROP${run++}` });
        const others: string[] = [];
        let granted = false;
        let handle: Record<string, unknown> | null = null;
        for (const s of steps) {
          if (s.kind === 'fault') {
            t.fake.failNext(s.count, s.fault, s.verb);
            continue;
          }
          if (s.kind === 'others') {
            const member = `user:other${others.length}@example.com`;
            others.push(member);
            t.fake.changeBeforeNextSet((bindings) => {
              const theirs = bindings.find((b) => b.role === 'roles/logging.viewer');
              if (!theirs) return [...bindings, { role: 'roles/logging.viewer', members: [member] }];
              return bindings.map((b) => (b === theirs ? { ...b, members: [...b.members, member] } : b));
            });
            continue;
          }
          // The job queue retries a failed step until it succeeds; the faults queued are finite.
          for (let attempt = 0; ; attempt++) {
            try {
              if (s.kind === 'grant') handle = await t.provider.grant(config, target);
              else if (handle) await t.provider.revoke(config, handle, { stillNeeded: false });
              break;
            } catch (err) {
              expect(err).toMatchObject({ code: 'UNAVAILABLE' });
              expect(attempt).toBeLessThan(20);
            }
          }
          if (s.kind === 'grant') granted = true;
          else if (handle) granted = false;
        }
        t.fake.clearFaults();
        const bindings = t.fake.bindings(PROJECT);
        const mine = bindings.filter((b) => b.condition?.title === `stint-${target.requestId}`);
        expect(mine).toHaveLength(granted ? 1 : 0);
        if (granted) expect(mine[0]!.members).toEqual([ALICE]);
        expect(t.fake.hasAccess(PROJECT, ROLE, ALICE, new Date())).toBe(granted);
        if (handle) expect(await t.provider.check(config, handle)).toBe(granted ? 'present' : 'absent');
        // A pending concurrent change lands on a later write only; those that landed are all kept.
        const landed = bindings.filter((b) => b.role === 'roles/logging.viewer').flatMap((b) => b.members);
        expect(others.slice(0, landed.length)).toEqual(landed);
      }),
      { numRuns: 40 },
    );
  });
});
