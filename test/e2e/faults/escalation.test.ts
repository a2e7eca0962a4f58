/**
 * Fault: escalation steps (issue 7) survive a dead worker and a flushed Redis. A request waits for approval in a
 * workflow that escalates 3 s and 6 s after creation; each step must be reached exactly once and in order (one
 * `request.escalated` audit event per level) when the worker is SIGKILLed between the steps and restarted, and
 * when Redis is FLUSHALLed between them (the reconciler re-does from PostgreSQL what the lost timer would have).
 * A decision between the steps cancels the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideRequest } from '../../../src/core/decide-request.ts';
import { ESCALATION_STEPS_S, expectAllRevoked, openFaultRig, waitFor, type FaultRig } from '../../support/fault-rig.ts';
import type { StintProcess } from '../../support/stint-process.ts';

let rig: FaultRig;
let worker: StintProcess;

beforeAll(async () => {
  rig = await openFaultRig({ people: 4 });
  worker = await rig.startWorker('w1');
}, 90_000);

afterAll(async () => {
  await rig?.close();
});

/** The levels reached, in audit (commit) order. */
async function levels(id: string): Promise<number[]> {
  return (await rig.audit([id])).filter((e) => e.action === 'request.escalated').map((e) => (e.data as { level: number }).level);
}

const secondStepDue = (createdAt: number) => createdAt + ESCALATION_STEPS_S[1]! * 1000;

describe('escalation across faults', () => {
  it('reaches each step once and in order when the worker is SIGKILLed between them', async () => {
    const created = Date.now();
    const id = await rig.createPending('10s');
    await waitFor('step 1', async () => (await levels(id)).length === 1, 15_000, 100);
    await worker.kill();
    // Nobody runs while step 2 falls due.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, secondStepDue(created) + 1_500 - Date.now())));
    expect(await levels(id)).toEqual([1]);
    worker = await rig.startWorker('w2');
    await waitFor('step 2 after the restart', async () => (await levels(id)).length === 2, 30_000, 100);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await levels(id)).toEqual([1, 2]);
    expect((await rig.rows([id]))[0]!.status).toBe('PENDING');
  }, 90_000);

  it('reaches each step once and in order when Redis is FLUSHALLed between them', async () => {
    const id = await rig.createPending('10s');
    await waitFor('step 1', async () => (await levels(id)).length === 1, 15_000, 100);
    await rig.redis.flushAll();
    await waitFor('step 2 without its timer', async () => (await levels(id)).length === 2, 30_000, 100);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await levels(id)).toEqual([1, 2]);
  }, 60_000);

  it('a decision between the steps cancels the rest, and the grant runs its course', async () => {
    const created = Date.now();
    const id = await rig.createPending('3s');
    await waitFor('step 1', async () => (await levels(id)).length === 1, 15_000, 100);
    await decideRequest({ id: 'approver', kind: 'person', scopes: ['approve'], via: 'api' }, { requestId: id, verdict: 'approve' }, rig.app.core);
    await expectAllRevoked(rig, [id], 40_000);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, secondStepDue(created) + 1_000 - Date.now())));
    expect(await levels(id)).toEqual([1]);
    expect((await rig.auditCounts([id])).get(id)).toMatchObject({ 'request.escalated': 1, 'grant.revoked': 1 });
  }, 90_000);

  it('the audit chain is intact', async () => {
    expect((await rig.verifyAudit()).ok).toBe(true);
  });
});
