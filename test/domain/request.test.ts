import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REQUEST_STATUSES, TERMINAL_STATUSES, canTransition, nextStatus, ticketFromReason, type LifecycleEvent } from '../../src/domain/request.ts';

const EVENTS: LifecycleEvent[] = ['approve', 'deny', 'cancel', 'time_out', 'grant_ok', 'grant_failed', 'end', 'revoke_ok'];

describe('request state machine', () => {
  it('follows the happy path PENDING → APPROVED → ACTIVE → REVOKING → REVOKED', () => {
    let s = nextStatus('PENDING', 'approve');
    expect(s).toBe('APPROVED');
    s = nextStatus(s, 'grant_ok');
    expect(s).toBe('ACTIVE');
    s = nextStatus(s, 'end');
    expect(s).toBe('REVOKING');
    expect(nextStatus(s, 'revoke_ok')).toBe('REVOKED');
  });

  it('has exactly the terminal states of the design', () => {
    expect([...TERMINAL_STATUSES].sort()).toEqual(['CANCELLED', 'DENIED', 'GRANT_FAILED', 'REVOKED', 'TIMED_OUT']);
  });

  it('refuses deciding a request that is no longer pending, naming its state', () => {
    expect(() => nextStatus('CANCELLED', 'approve')).toThrowError(expect.objectContaining({ code: 'NOT_PENDING', details: { status: 'CANCELLED' } }));
  });

  it('never reaches REVOKED without passing REVOKING, nor leaves a terminal state (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...EVENTS), { maxLength: 30 }), (events) => {
        let status: (typeof REQUEST_STATUSES)[number] = 'PENDING';
        let decisions = 0;
        for (const event of events) {
          if (!canTransition(status, event)) continue;
          const next = nextStatus(status, event);
          if (next === 'REVOKED') expect(status).toBe('REVOKING');
          if (['APPROVED', 'DENIED', 'CANCELLED', 'TIMED_OUT'].includes(next)) decisions++;
          expect(TERMINAL_STATUSES.has(status)).toBe(false);
          status = next;
        }
        expect(decisions).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('ticketFromReason', () => {
  it('takes a ticket key as the first word', () => {
    expect(ticketFromReason('INC-1234 stuck orders')).toBe('INC-1234');
  });
  it('ignores a key that is not first', () => {
    expect(ticketFromReason('stuck orders INC-1234')).toBeNull();
  });
});
