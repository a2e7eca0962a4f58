/**
 * Property: whatever the interleaving of grants, retried grants, revokes and duplicate revokes of two requests
 * of one person on one resource, grants whose handle was lost and requests cancelled meanwhile, with transient
 * API failures (some after the call took effect) thrown in, the
 * bindings on the fake end up matching the requests: one binding for each ACTIVE request, none for the rest —
 * once the failed revokes are retried and the orphan sweep (listGranted) has run, as Stint's reconciler does.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrantHandleData } from '../../../src/core/ports.ts';
import { openKubernetesTarget, type KubernetesTarget } from './kubernetes-target.ts';

type Status = 'APPROVED' | 'ACTIVE' | 'REVOKING' | 'REVOKED' | 'GRANT_FAILED' | 'CANCELLED';

const fault = fc.record({ status: fc.constantFrom(429 as const, 500 as const, 503 as const), afterEffect: fc.boolean() });
// `lost-grant`: the provider granted but the worker died before saving the handle (the request stays APPROVED);
// `cancel`: an APPROVED request is withdrawn — whatever a lost grant left is then an orphan for the sweep.
const step = fc.record({ op: fc.constantFrom('grant', 'grant', 'revoke', 'revoke', 'lost-grant', 'cancel'), request: fc.constantFrom(0, 1), faults: fc.array(fault, { maxLength: 4 }) });

describe('kubernetes provider, any interleaving', () => {
  let t: KubernetesTarget;
  let run = 0;

  beforeAll(async () => {
    t = await openKubernetesTarget();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('leaves exactly one binding per ACTIVE request and none for the others', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        const namespace = `prop-${run++}`;
        // Three attempts per call: four injected faults can exhaust one call, as a long outage would.
        const config = t.config({ namespace, maxAttempts: 3 });
        const targets = [0, 1].map(() => t.target({ account: 'alice@example.com' }));
        const status: Status[] = ['APPROVED', 'APPROVED'];
        const handles: Array<GrantHandleData | undefined> = [undefined, undefined];

        for (const { op, request: r, faults } of steps) {
          for (const f of faults) t.fake.inject(f.status === 429 ? { status: 429, retryAfter: 0 } : f);
          const other = 1 - r;
          try {
            if (op === 'grant' && (status[r] === 'APPROVED' || status[r] === 'ACTIVE')) {
              const handle = await t.provider.grant(config, targets[r]!);
              if (handles[r]) expect(handle).toEqual(handles[r]);
              handles[r] = handle;
              status[r] = 'ACTIVE';
            } else if (op === 'lost-grant' && status[r] === 'APPROVED') {
              await t.provider.grant(config, targets[r]!);
            } else if (op === 'cancel' && status[r] === 'APPROVED') {
              status[r] = 'CANCELLED';
            } else if (op === 'revoke' && handles[r] && status[r] !== 'GRANT_FAILED') {
              // A duplicate revoke (already REVOKED) must be harmless too.
              if (status[r] === 'ACTIVE') status[r] = 'REVOKING';
              await t.provider.revoke(config, handles[r]!, { stillNeeded: status[other] === 'ACTIVE' });
              status[r] = 'REVOKED';
            }
          } catch {
            // A grant that fails for good ends GRANT_FAILED (nothing to take back: no handle came back).
            if (op === 'grant' && status[r] === 'APPROVED') status[r] = 'GRANT_FAILED';
          }
          t.fake.clearFaults();
        }

        // The reconciler: failed revokes are retried, then Stint's labelled bindings of non-ACTIVE requests swept.
        for (const r of [0, 1]) {
          if (status[r] === 'REVOKING') {
            await t.provider.revoke(config, handles[r]!, { stillNeeded: status[1 - r] === 'ACTIVE' });
            status[r] = 'REVOKED';
          }
        }
        for (const { requestId, handle } of await t.provider.listGranted!(config)) {
          const r = targets.findIndex((x) => x.requestId === requestId);
          if (status[r] !== 'ACTIVE') await t.provider.revoke(config, handle, { stillNeeded: false });
        }

        const onTarget = t.fake.all('rolebindings', namespace).map((b) => (b.metadata as { labels: Record<string, string> }).labels['stint.dev/request']);
        const expected = targets.filter((_, r) => status[r] === 'ACTIVE').map((x) => x.requestId);
        expect(onTarget.sort()).toEqual(expected.sort());
        for (const r of [0, 1]) {
          if (handles[r]) expect(await t.provider.check(config, handles[r]!)).toBe(status[r] === 'ACTIVE' ? 'present' : 'absent');
        }
        expect(t.fake.rejections).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
});
