/**
 * Property: whatever the interleaving of grants, retried grants, revokes, duplicate revokes and injected
 * transient failures (throttling, 5xx, conflicts — some outlasting the SDK's retries, so the caller retries the
 * whole operation, as Stint's jobs do), the state on the fake matches the request's final state.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrantHandleData } from '../../../src/core/ports.ts';
import { ACCOUNT_ID, PERMISSION_SET_ARN, assignmentKey, sessionDenied } from '../../fakes/aws-server.ts';
import { openAwsTarget, type AwsTarget } from './aws-target.ts';

type Step = { op: 'grant' | 'revoke'; faults: number; faultOn: string; code: string };

const step = (operations: string[], codes: string[]) =>
  fc.record({
    op: fc.constantFrom<'grant' | 'revoke'>('grant', 'revoke'),
    faults: fc.integer({ min: 0, max: 5 }),
    faultOn: fc.constantFrom(...operations),
    code: fc.constantFrom(...codes),
  });

describe('aws provider: final state matches the request, for any interleaving', () => {
  let t: AwsTarget;
  let run = 0;
  beforeAll(async () => {
    t = await openAwsTarget();
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Runs the steps like Stint would: an operation that fails is retried until it succeeds (bounded). */
  async function play(steps: Step[], grant: () => Promise<GrantHandleData>, revoke: (h: GrantHandleData) => Promise<void>): Promise<'granted' | 'revoked' | 'never'> {
    let handle: GrantHandleData | undefined;
    let state: 'granted' | 'revoked' | 'never' = 'never';
    for (const s of steps) {
      if (s.op === 'revoke' && !handle) continue;
      t.fake.failNext(s.faults, s.faultOn, s.code);
      for (let attempt = 1; ; attempt++) {
        try {
          if (s.op === 'grant') {
            const next = await grant();
            // A retried grant gives the same handle.
            if (handle) expect(next).toEqual(handle);
            handle = next;
            state = 'granted';
          } else {
            await revoke(handle!);
            state = 'revoked';
          }
          break;
        } catch (error) {
          if (attempt >= 8) throw error;
        }
      }
      t.fake.clearFaults();
    }
    return state;
  }

  it('identity-center: the assignment exists exactly while the request holds it (or it was preexisting)', async () => {
    const ops = ['GetUserId', 'ListTagsForResource', 'TagResource', 'UntagResource', 'ListAccountAssignments', 'CreateAccountAssignment', 'DeleteAccountAssignment', 'DescribeAccountAssignmentCreationStatus'];
    await fc.assert(
      fc.asyncProperty(fc.array(step(ops, ['Throttling', 'InternalServerException', 'ConflictException']), { minLength: 1, maxLength: 7 }), fc.boolean(), async (steps, preexisting) => {
        const { userName, userId } = t.newUser();
        const key = assignmentKey(PERMISSION_SET_ARN, ACCOUNT_ID, userId);
        if (preexisting) t.fake.sso.assignments.add(key);
        const config = t.identityCenter();
        const target = t.target(userName, `jit_PROP${String(run++).padStart(22, '0')}`);
        const state = await play(steps, () => t.provider.grant(config, target), (h) => t.provider.revoke(config, h, { stillNeeded: false }));
        const expected = preexisting || state === 'granted';
        expect(t.fake.sso.assignments.has(key)).toBe(expected);
        const markers = (await t.provider.listGranted!(config)).filter((g) => g.requestId === target.requestId);
        expect(markers).toHaveLength(state === 'granted' ? 1 : 0);
        expect(t.fake.malformed).toEqual([]);
      }),
      { numRuns: 20 },
    );
  }, 120_000);

  it('iam-role: the deny on the request’s SourceIdentity exists exactly when the request was revoked', async () => {
    const ops = ['GetRole', 'DeleteRolePolicy', 'PutRolePolicy'];
    await fc.assert(
      fc.asyncProperty(fc.array(step(ops, ['Throttling', 'ServiceFailure']), { minLength: 1, maxLength: 7 }), async (steps) => {
        const config = t.iamRole(`prop-role-${run}`);
        const role = t.fake.iam.roles.get(`prop-role-${run}`)!;
        const target = t.target(undefined, `jit_PROP${String(run++).padStart(22, '0')}`);
        const state = await play(steps, () => t.provider.grant(config, target), (h) => t.provider.revoke(config, h, { stillNeeded: false }));
        expect(sessionDenied(role, `stint-${target.requestId}`)).toBe(state === 'revoked');
        expect(role.policies.size).toBe(state === 'revoked' ? 1 : 0);
        expect(t.fake.malformed).toEqual([]);
      }),
      { numRuns: 20 },
    );
  }, 120_000);
});
