/**
 * A database too busy to start a transaction records nothing. Use cases that treat UNAVAILABLE as "underway and
 * retried" (a provider refused a revoke that is recorded as REVOKING) must not take a busy database for that: the
 * person saying done hears "try again", and a revoke job fails so its own retry (seconds) runs instead of waiting
 * for the next sweep.
 */
import { describe, expect, it } from 'vitest';
import { advanceRequest } from '../../src/core/advance-request.ts';
import { endGrant } from '../../src/core/end-grant.ts';
import type { GrantPorts } from '../../src/core/ports.ts';
import { DATABASE_BUSY, StintError } from '../../src/domain/errors.ts';
import { person } from '../support/core-harness.ts';
import { activeDevRequest, grantHarness } from '../support/grant-harness.ts';
import { intercept } from '../support/intercept.ts';

/** The harness's store whose next `busy` transactions are refused as the Prisma store refuses them with no connection free. */
function busyOnce(h: ReturnType<typeof grantHarness>): GrantPorts {
  let busy = 1;
  const refuse = async () => Promise.reject(new StintError('UNAVAILABLE', "Stint's database is too busy", { retryAfterSec: 5, reason: DATABASE_BUSY }));
  return { ...h.grantPorts, store: intercept(h.store, (key) => (key === 'transaction' && busy-- > 0 ? refuse : undefined)) };
}

describe('a busy database', () => {
  it('tells the requester saying done to try again, and the grant stays ACTIVE until they do', async () => {
    const h = grantHarness();
    const request = await activeDevRequest(h);
    await expect(endGrant(person('alice'), { requestId: request.id, cause: 'done' }, busyOnce(h))).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { reason: DATABASE_BUSY } });
    expect((await h.store.getRequest(request.id))?.status).toBe('ACTIVE');
    expect((await endGrant(person('alice'), { requestId: request.id, cause: 'done' }, h.grantPorts)).status).toBe('REVOKED');
  });

  it('fails an expiry revoke so the job retries it, instead of reporting it underway', async () => {
    const h = grantHarness();
    const request = await activeDevRequest(h, '1m');
    h.clock.advance(61_000);
    await expect(advanceRequest(request.id, busyOnce(h))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect((await h.store.getRequest(request.id))?.status).toBe('ACTIVE');
    expect(await advanceRequest(request.id, h.grantPorts)).toBe('revoked');
  });
});
