import { describe, expect, it } from 'vitest';
import { acknowledgeReview } from '../../src/core/acknowledge-review.ts';
import { createRequest } from '../../src/core/create-request.ts';
import { remindReviews } from '../../src/core/remind-reviews.ts';
import { coreHarness, person } from '../support/core-harness.ts';

const HOUR = 3_600_000;

async function breakGlassUsed() {
  const h = coreHarness();
  const { request } = await createRequest(
    person('alice'),
    { identityId: 'alice', scopes: ['prod-orders-db'], duration: '30m', reason: 'orders are down, INC-9 paging everyone', breakGlass: true },
    h.ports,
  );
  return { h, id: request.id };
}

const reminders = (h: ReturnType<typeof coreHarness>) => h.notifier.sent.filter((n) => n.kind === 'breakglass.review_reminder');
const reminderAudits = (h: ReturnType<typeof coreHarness>) => h.store.state.audit.filter((e) => e.action === 'breakglass.review_reminded');

describe('remindReviews', () => {
  it('reminds nobody before the review has waited 24 hours', async () => {
    const { h } = await breakGlassUsed();
    h.clock.advance(23 * HOUR);
    expect(await remindReviews(h.ports)).toEqual([]);
    expect(reminders(h)).toEqual([]);
  });

  it('reminds the reviewers once when 24 hours have passed, audited as breakglass.review_reminded', async () => {
    const { h, id } = await breakGlassUsed();
    h.clock.advance(24 * HOUR);
    expect(await remindReviews(h.ports)).toEqual([id]);
    expect(reminders(h)).toEqual([expect.objectContaining({ reviewerIds: ['erin'], request: expect.objectContaining({ id }) })]);
    expect(reminderAudits(h)).toEqual([expect.objectContaining({ requestId: id, data: expect.objectContaining({ breakGlass: true, reviewerIds: ['erin'], hoursWaiting: 24 }) })]);
  });

  it('reminds at most once per 24 hours, however often the sweep runs (a restart included: the rule is in the store)', async () => {
    const { h, id } = await breakGlassUsed();
    h.clock.advance(24 * HOUR);
    await remindReviews(h.ports);
    for (let i = 0; i < 5; i++) {
      h.clock.advance(4 * HOUR);
      expect(await remindReviews(h.ports)).toEqual([]);
    }
    h.clock.advance(4 * HOUR); // 24 h after the first reminder
    expect(await remindReviews(h.ports)).toEqual([id]);
    expect(reminderAudits(h)).toHaveLength(2);
  });

  it('two sweeps at the same moment (two leaders for an instant) remind once', async () => {
    const { h } = await breakGlassUsed();
    h.clock.advance(25 * HOUR);
    const [a, b] = await Promise.all([remindReviews(h.ports), remindReviews(h.ports)]);
    expect([...a, ...b]).toHaveLength(1);
    expect(reminderAudits(h)).toHaveLength(1);
  });

  it('stops reminding once the review is acknowledged', async () => {
    const { h, id } = await breakGlassUsed();
    h.clock.advance(24 * HOUR);
    await remindReviews(h.ports);
    await acknowledgeReview(person('erin'), { requestId: id }, h.ports);
    h.clock.advance(48 * HOUR);
    expect(await remindReviews(h.ports)).toEqual([]);
    expect(reminders(h)).toHaveLength(1);
  });
});
