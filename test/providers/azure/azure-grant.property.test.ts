import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrantHandleData } from '../../../src/core/ports.ts';
import { openAzureTarget, type AzureTarget } from './azure-target.ts';

type Op = { kind: 'grant' } | { kind: 'revoke' } | { kind: 'fault'; count: number; status: 429 | 503 } | { kind: 'lose' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ kind: 'grant' }),
  fc.constant<Op>({ kind: 'revoke' }),
  fc.constant<Op>({ kind: 'lose' }),
  fc.record({ kind: fc.constant('fault' as const), count: fc.integer({ min: 1, max: 4 }), status: fc.constantFrom(429 as const, 503 as const) }),
);

/**
 * One request's life as Stint drives it: grants while APPROVED (a failure leaves it APPROVED and is retried) or
 * ACTIVE (a retried activation after a lost handle), revokes while ACTIVE, REVOKING (a failed revoke is retried)
 * or REVOKED (a duplicate), with transient Azure failures injected between the calls (3 tries per call, so
 * some calls give up) and writes whose answer is lost (done on Azure, a 500 to Stint). After the orphan sweep
 * the fake holds the access exactly when the request is ACTIVE.
 */
describe.each(['assignment', 'pim-schedule'] as const)('azure provider %s: any interleaving of grant, revoke, retries and faults', (mode) => {
  let t: AzureTarget;
  beforeAll(async () => {
    t = await openAzureTarget({ retryDelayMs: 1, maxRetryDelayMs: 2 });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('ends with the access on Azure exactly when the request is ACTIVE', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 12 }), async (ops) => {
        t.fake.reset();
        const config = t.config(mode, { maxAttempts: 3 });
        const principal = t.newPrincipal();
        const target = t.target(principal);
        let status: 'APPROVED' | 'ACTIVE' | 'REVOKING' | 'REVOKED' = 'APPROVED';
        let handle: GrantHandleData | undefined;
        for (const op of ops) {
          if (op.kind === 'lose') {
            t.fake.loseAnswers(1);
          } else if (op.kind === 'fault') {
            t.fake.throttle(op.count, { status: op.status, retryAfterSec: 0 });
          } else if (op.kind === 'grant' && (status === 'APPROVED' || status === 'ACTIVE')) {
            const granted = await t.provider.grant(config, target).catch(() => undefined);
            if (granted) {
              if (handle) expect(granted).toEqual(handle);
              handle = granted;
              status = 'ACTIVE';
            }
          } else if (op.kind === 'revoke' && handle && status !== 'APPROVED') {
            const ok = await t.provider.revoke(config, handle, { stillNeeded: false }).then(() => true, () => false);
            status = ok ? 'REVOKED' : 'REVOKING';
          }
        }
        t.fake.reset();
        if (status === 'REVOKING') {
          await t.provider.revoke(config, handle!, { stillNeeded: false });
          status = 'REVOKED';
        }
        // The reconciler's orphan sweep: what Stint made for a request that is not ACTIVE is revoked (a grant that
        // gave up after Azure did the work, its answer lost).
        for (const orphan of await t.provider.listGranted!(config)) {
          if (orphan.requestId === target.requestId && status !== 'ACTIVE') await t.provider.revoke(config, orphan.handle, { stillNeeded: false });
        }
        const held = (mode === 'assignment' ? [...t.fake.assignments.values()] : t.fake.pim.instances).filter((a) => a.principalId === principal);
        expect(held).toHaveLength(status === 'ACTIVE' ? 1 : 0);
        if (handle) expect(await t.provider.check(config, handle)).toBe(status === 'ACTIVE' ? 'present' : 'absent');
      }),
      { numRuns: 30 },
    );
  });
});
