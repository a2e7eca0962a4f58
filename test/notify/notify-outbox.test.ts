import { describe, expect, it } from 'vitest';
import { notifyJobOf } from '../../src/notify/notify-outbox.ts';
import { makeRequest } from '../support/store-fixtures.ts';

describe('notifyJobOf', () => {
  const request = makeRequest({ generation: 2 });

  it('carries ids only for a request notification', () => {
    expect(notifyJobOf({ kind: 'grant.revoked', request })).toEqual({ job: { requestId: request.id, event: 'grant.revoked' }, key: 'revoked' });
  });

  it('keys each decision by the status it produced and who made it, so two approvals are two jobs', () => {
    const first = notifyJobOf({ kind: 'request.decided', request, actorId: 'carol' });
    const second = notifyJobOf({ kind: 'request.decided', request: { ...request, status: 'APPROVED' }, actorId: 'dave' });
    expect(first).toEqual({ job: { requestId: request.id, event: 'request.decided', actorId: 'carol' }, key: 'decided-PENDING-carol' });
    expect(second?.key).toBe('decided-APPROVED-dave');
  });

  it('keys grant timers by generation (an extension gets its own reminder)', () => {
    expect(notifyJobOf({ kind: 'grant.expiring', request, minutesLeft: 10 })?.key).toBe('expiring-g2');
  });

  it('passes what a drift note needs', () => {
    expect(notifyJobOf({ kind: 'grant.drift', request, resourceId: 'prod-orders-db', found: 'present', fixed: true })?.job).toEqual({
      requestId: request.id,
      event: 'grant.drift',
      resourceId: 'prod-orders-db',
      found: 'present',
      fixed: true,
    });
  });

  it('has no job for a notification about no request', () => {
    expect(notifyJobOf({ kind: 'policy.reload_failed', message: 'bad yaml' })).toBeNull();
  });
});
