/**
 * Property: for any interleaving of grant, a grant retried after a crash, revoke, duplicate revoke and injected
 * transient failures (5xx, 429, dropped connections, answers lost after the work was done), once the faults
 * stop and the request settles the way core settles it, the receiver holds the access exactly when the request
 * is ACTIVE — or the provider said, in the error the requester and the audit see, that it might still hold it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrantHandleData } from '../../../src/core/ports.ts';
import type { ReceiverFault } from '../../fakes/webhook-receiver.ts';
import { target, webhookRig, type WebhookRig } from './webhook-setup.ts';

type Status = 'APPROVED' | 'ACTIVE' | 'GRANT_FAILED' | 'REVOKING' | 'REVOKED';
type Op = { op: 'grant' } | { op: 'grant-then-crash' } | { op: 'revoke' } | { op: 'faults'; count: number; fault: ReceiverFault };

const faultArb: fc.Arbitrary<ReceiverFault> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<ReceiverFault>({ kind: 'status', status: 503 }) },
  { weight: 2, arbitrary: fc.constant<ReceiverFault>({ kind: 'status', status: 429, retryAfter: '0' }) },
  { weight: 2, arbitrary: fc.constant<ReceiverFault>({ kind: 'reset' }) },
  { weight: 2, arbitrary: fc.constant<ReceiverFault>({ kind: 'hang', ms: 400, applied: true }) },
  { weight: 1, arbitrary: fc.constant<ReceiverFault>({ kind: 'hang', ms: 400 }) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Op>({ op: 'grant' }) },
  { weight: 1, arbitrary: fc.constant<Op>({ op: 'grant-then-crash' }) },
  { weight: 3, arbitrary: fc.constant<Op>({ op: 'revoke' }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('faults' as const), count: fc.integer({ min: 1, max: 4 }), fault: faultArb }) },
);

describe('webhook provider lifecycle (property)', () => {
  let rig: WebhookRig;
  let run = 0;
  beforeAll(async () => {
    rig = await webhookRig();
  });
  afterAll(async () => rig?.receiver.close());

  it('leaves the receiver holding the access exactly when the request is ACTIVE', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 10 }), async (ops) => {
        rig.receiver.clearFaults();
        const account = `user${run++}`;
        const t = target({ account });
        const config = rig.config({ maxAttempts: 3, timeoutSec: 0.1 });
        let status = 'APPROVED' as Status; // widened: the closures below change it
        /** Handles saved by an earlier activation run (the request keeps them). */
        let saved: GrantHandleData | undefined;
        let flaggedMaybeHeld = false;

        const activate = async (crash: boolean) => {
          try {
            const handle = await rig.provider.grant(config, t);
            if (saved) expect(handle).toEqual(saved); // a retried grant gives the same handle
            saved = handle;
            if (!crash) status = 'ACTIVE';
          } catch (error) {
            status = 'GRANT_FAILED';
            flaggedMaybeHeld ||= /check by hand/.test((error as Error).message);
          }
        };
        const revoke = async () => {
          if (!saved) return void (status = 'REVOKED'); // nothing was granted
          try {
            await rig.provider.revoke(config, saved, { stillNeeded: false });
            // core confirms with check before REVOKED
            if ((await rig.provider.check(config, saved)) === 'absent') status = 'REVOKED';
            else status = 'REVOKING';
          } catch {
            if (status !== 'REVOKED') status = 'REVOKING';
          }
        };

        for (const op of ops) {
          if (op.op === 'faults') rig.receiver.failNext(op.count, op.fault);
          else if (op.op === 'grant' || op.op === 'grant-then-crash') {
            if (status === 'APPROVED') await activate(op.op === 'grant-then-crash');
          } else if (status !== 'GRANT_FAILED') await revoke();
        }

        // Faults stop; the request settles as core would: a pending activation is retried, a REVOKING one is
        // retried until done, and the drift sweep revokes what a GRANT_FAILED request's saved handles still hold.
        rig.receiver.clearFaults();
        if (status === 'APPROVED') await activate(false);
        if (status === 'REVOKING') await revoke();
        if (status === 'GRANT_FAILED' && saved) await rig.provider.revoke(config, saved, { stillNeeded: false });

        const holds = rig.receiver.holds('billing-app', account);
        const grants = Object.keys(rig.receiver.grants()).filter((key) => key.includes(`|${account}|`));
        expect(grants.length).toBeLessThanOrEqual(1); // never two grants for one request
        if (status === 'ACTIVE') {
          expect(holds).toBe(true);
          expect(await rig.provider.check(config, saved!)).toBe('present');
        } else if (!flaggedMaybeHeld) {
          expect({ status, holds }).toEqual({ status, holds: false });
        }
      }),
      { numRuns: 60 },
    );
  }, 60_000);
});
