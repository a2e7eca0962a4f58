import { describe, expect, it } from 'vitest';
import type { StepUpChallengeRecord } from '../../src/core/ports.ts';
import { at, makeAudit } from '../support/store-fixtures.ts';
import { TEST_STORE_KINDS, useTestStore } from '../support/test-database.ts';

const HOUR = 60 * 60_000;

function challenge(id: string, createdAt: Date, overrides: Partial<StepUpChallengeRecord> = {}): StepUpChallengeRecord {
  return {
    id,
    principalId: 'alice',
    purpose: 'request on prod-db',
    createdAt,
    expiresAt: new Date(createdAt.getTime() + 10 * 60_000),
    confirmedAt: null,
    authTime: null,
    usedAt: null,
    ...overrides,
  };
}

describe.each(TEST_STORE_KINDS)('step-up challenges in the store on %s', (kind) => {
  const store = useTestStore(kind);
  const t0 = at('2026-12-01T09:00:00.000Z');

  it('opening a link again for the same person and purpose hands out the open one', async () => {
    const first = await store().openStepUpChallenge(challenge('suc_first', t0), t0);
    const again = await store().openStepUpChallenge(challenge('suc_again', t0), new Date(t0.getTime() + 60_000));
    expect(again.id).toBe(first.id);
    const other = await store().openStepUpChallenge(challenge('suc_other', t0, { purpose: 'approval of jit_X' }), t0);
    expect(other.id).toBe('suc_other');
  });

  it('a confirmed challenge is used once, by the purpose it was made for', async () => {
    // Each case its own person: the database is shared by the cases of this file.
    await store().openStepUpChallenge(challenge('suc_use', t0, { principalId: 'dave' }), t0);
    const confirmedAt = new Date(t0.getTime() + 60_000);
    expect(await store().confirmStepUpChallenge('suc_use', t0, confirmedAt, makeAudit({ action: 'mfa.reauthenticated' }))).toBe(true);
    expect(await store().confirmStepUpChallenge('suc_use', t0, confirmedAt, makeAudit({ action: 'mfa.reauthenticated' }))).toBe(false);
    expect(await store().useStepUpChallenge('dave', 'approval of jit_X', t0, confirmedAt)).toBeNull();
    const racing = await Promise.all([
      store().useStepUpChallenge('dave', 'request on prod-db', t0, confirmedAt),
      store().useStepUpChallenge('dave', 'request on prod-db', t0, confirmedAt),
    ]);
    expect(racing.filter((used) => used !== null).map((used) => used!.id)).toEqual(['suc_use']);
  });

  it('opening a link clears challenges that expired more than a day before, and keeps younger ones', async () => {
    await store().openStepUpChallenge(challenge('suc_old', t0, { principalId: 'erin' }), t0);
    await store().openStepUpChallenge(challenge('suc_recent', new Date(t0.getTime() + 20 * HOUR), { principalId: 'bob' }), new Date(t0.getTime() + 20 * HOUR));
    const later = new Date(t0.getTime() + 25 * HOUR);
    await store().openStepUpChallenge(challenge('suc_new', later, { principalId: 'carol' }), later);
    expect(await store().getStepUpChallenge('suc_old')).toBeNull();
    expect((await store().getStepUpChallenge('suc_recent'))?.principalId).toBe('bob');
    expect((await store().getStepUpChallenge('suc_new'))?.principalId).toBe('carol');
  });
});
