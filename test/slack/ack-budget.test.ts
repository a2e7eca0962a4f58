/** A modal submission's work either answers within the ack budget or is handed over to be reported later. */
import { describe, expect, it } from 'vitest';
import { withinAckBudget } from '../../src/slack/ack-budget.ts';

describe('withinAckBudget', () => {
  it('gives the outcome when the work finishes in time, a refusal included', async () => {
    expect(await withinAckBudget(async () => 'done', 1_000)).toEqual({ inTime: true, outcome: { ok: true, value: 'done' } });
    const refused = new Error('no');
    expect(await withinAckBudget(async () => Promise.reject(refused), 1_000)).toEqual({ inTime: true, outcome: { ok: false, error: refused } });
  });

  it('hands over slow work, whose outcome still arrives later', async () => {
    let finish!: (value: string) => void;
    const budgeted = await withinAckBudget(() => new Promise<string>((resolve) => (finish = resolve)), 10);
    expect(budgeted.inTime).toBe(false);
    finish('late but done');
    if (!budgeted.inTime) expect(await budgeted.later).toEqual({ ok: true, value: 'late but done' });
  });
});
