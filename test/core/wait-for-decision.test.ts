import { describe, expect, it, vi } from 'vitest';
import { createRequest } from '../../src/core/create-request.ts';
import { decideRequest } from '../../src/core/decide-request.ts';
import { isSettled, MAX_WAIT_MS, waitForDecision, type Sleeper } from '../../src/core/wait-for-decision.ts';
import { coreHarness, person } from '../support/core-harness.ts';

async function pending() {
  const h = coreHarness();
  const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['prod-billing-db'], duration: '1h', reason: 'INC-1 stuck' }, h.ports);
  expect(request.status).toBe('PENDING');
  return { h, id: request.id };
}

describe('waitForDecision', () => {
  it('answers at once, settled, for a request that was already decided', async () => {
    const { h, id } = await pending();
    await decideRequest(person('bob'), { requestId: id, verdict: 'deny', comment: 'not now' }, h.ports);
    const result = await waitForDecision(person('alice'), { requestId: id, timeoutMs: 60_000 }, h.ports);
    expect(result).toMatchObject({ settled: true, request: { id, status: 'DENIED' } });
  });

  it('returns as soon as a decision lands while it waits', async () => {
    const { h, id } = await pending();
    const waiting = waitForDecision(person('alice'), { requestId: id, timeoutMs: 60_000 }, h.ports);
    setTimeout(() => void decideRequest(person('bob'), { requestId: id, verdict: 'deny', comment: 'no' }, h.ports), 300);
    const result = await waiting;
    expect(result.settled).toBe(true);
    expect(result.request.status).toBe('DENIED');
    expect(result.request.approvers).toEqual([expect.objectContaining({ id: 'bob', status: 'denied' })]);
  });

  it('keeps waiting through APPROVED (the grant being applied) and answers unsettled at the timeout', async () => {
    const { h, id } = await pending();
    await decideRequest(person('bob'), { requestId: id, verdict: 'approve' }, h.ports);
    const result = await waitForDecision(person('alice'), { requestId: id, timeoutMs: 500 }, h.ports);
    expect(result).toMatchObject({ settled: false, request: { status: 'APPROVED' } });
  });

  it('stops at once when the caller goes away, reading the row no more', async () => {
    const { h, id } = await pending();
    const reads = vi.spyOn(h.store, 'getRequest');
    const gone = new AbortController();
    const waiting = waitForDecision(person('alice'), { requestId: id, timeoutMs: 3_600_000, signal: gone.signal }, h.ports);
    await new Promise((r) => setTimeout(r, 450));
    gone.abort();
    const result = await waiting;
    expect(result.settled).toBe(false);
    const after = reads.mock.calls.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(reads.mock.calls.length).toBe(after);
  });

  it('is NOT_FOUND for a request the caller may not see, before any waiting', async () => {
    const { h, id } = await pending();
    await expect(waitForDecision(person('mallory'), { requestId: id, timeoutMs: 3_600_000 }, h.ports)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(waitForDecision(person('alice'), { requestId: 'jit_nope', timeoutMs: 3_600_000 }, h.ports)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('never sets its deadline beyond a minute, whatever it is asked', async () => {
    const { h, id } = await pending();
    const asked: number[] = [];
    // Pauses end at once: the first one asked for is the deadline, and it ends the wait.
    const sleeper: Sleeper = { sleep: async (ms) => void asked.push(ms) };
    const result = await waitForDecision(person('alice'), { requestId: id, timeoutMs: 3_600_000 }, { ...h.ports, sleeper });
    expect(result.settled).toBe(false);
    expect(asked[0]).toBe(MAX_WAIT_MS);
  });

  it('counts only PENDING and APPROVED as unsettled', () => {
    expect(['PENDING', 'APPROVED'].map((s) => isSettled(s as 'PENDING'))).toEqual([false, false]);
    expect(['ACTIVE', 'DENIED', 'GRANT_FAILED', 'CANCELLED', 'TIMED_OUT', 'REVOKING', 'REVOKED'].every((s) => isSettled(s as 'ACTIVE'))).toBe(true);
  });
});
