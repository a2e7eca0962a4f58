/** The break-glass review columns on PostgreSQL and PGlite: conditional acknowledgement, the reminder rule, the CHECKs. */
import { describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../src/domain/request.ts';
import { at, makeRequest } from '../support/store-fixtures.ts';
import { TEST_STORE_KINDS, useTestStore } from '../support/test-database.ts';

const DAY = 86_400_000;

describe.each(TEST_STORE_KINDS)('break-glass review on %s', (kind) => {
  const store = useTestStore(kind);

  async function breakGlass(overrides: Partial<AccessRequest> = {}): Promise<AccessRequest> {
    const request = makeRequest({ status: 'ACTIVE', breakGlass: true, reviewStatus: 'PENDING', createdAt: at('2026-11-23T10:00:00.000Z'), ...overrides });
    await store().transaction((tx) => tx.insertRequest(request));
    return request;
  }

  it('reads back the review columns of a break-glass request', async () => {
    const request = await breakGlass({ reviewRemindedAt: at('2026-11-24T10:00:00.123Z') });
    expect(await store().getRequest(request.id)).toEqual(request);
  });

  it('acknowledges once: a second conditional update moves nothing', async () => {
    const request = await breakGlass();
    const review = { reviewedBy: 'erin', reviewedAt: at('2026-11-23T11:00:00.000Z'), reviewComment: 'fine' };
    expect(await store().transaction((tx) => tx.acknowledgeReview(request.id, review))).toBe(true);
    expect(await store().transaction((tx) => tx.acknowledgeReview(request.id, { ...review, reviewedBy: 'frank' }))).toBe(false);
    expect(await store().getRequest(request.id)).toMatchObject({ reviewStatus: 'ACKNOWLEDGED', ...review });
  });

  it('lists a pending review as due 24 h after the break-glass, then 24 h after each reminder, and never once acknowledged', async () => {
    const request = await breakGlass();
    const created = request.createdAt.getTime();
    const due = async (now: number) => (await store().listReviewsDue(new Date(now - DAY), 100)).map((r) => r.id);
    expect(await due(created + DAY - 1)).not.toContain(request.id);
    expect(await due(created + DAY)).toContain(request.id);
    const remindedAt = new Date(created + DAY);
    expect(await store().transaction((tx) => tx.markReviewReminded(request.id, remindedAt, new Date(created)))).toBe(true);
    // The same reminder again (a restarted or second leader) finds it no longer due.
    expect(await store().transaction((tx) => tx.markReviewReminded(request.id, remindedAt, new Date(created)))).toBe(false);
    expect(await due(created + 2 * DAY - 1)).not.toContain(request.id);
    expect(await due(created + 2 * DAY)).toContain(request.id);
    await store().transaction((tx) => tx.acknowledgeReview(request.id, { reviewedBy: 'erin', reviewedAt: new Date(created + DAY + 5), reviewComment: null }));
    expect(await due(created + 10 * DAY)).not.toContain(request.id);
  });

  it('filters lists by review status', async () => {
    const pending = await breakGlass();
    const normal = makeRequest();
    await store().transaction((tx) => tx.insertRequest(normal));
    const ids = (await store().listRequests({ reviewStatus: 'PENDING', limit: 1000 })).map((r) => r.id);
    expect(ids).toContain(pending.id);
    expect(ids).not.toContain(normal.id);
  });

  it('refuses a break-glass request without its review task, and a review on a request that was not break-glass', async () => {
    await expect(store().transaction((tx) => tx.insertRequest(makeRequest({ breakGlass: true, reviewStatus: null })))).rejects.toThrow();
    await expect(store().transaction((tx) => tx.insertRequest(makeRequest({ breakGlass: false, reviewStatus: 'PENDING' })))).rejects.toThrow();
  });

  it('refuses an acknowledged review that names no reviewer', async () => {
    await expect(store().transaction((tx) => tx.insertRequest(makeRequest({ breakGlass: true, reviewStatus: 'ACKNOWLEDGED', reviewedBy: null })))).rejects.toThrow();
  });
});
