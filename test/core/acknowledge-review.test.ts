import { describe, expect, it } from 'vitest';
import { acknowledgeReview } from '../../src/core/acknowledge-review.ts';
import { createRequest } from '../../src/core/create-request.ts';
import { getRequest } from '../../src/core/list-requests.ts';
import { coreHarness, person } from '../support/core-harness.ts';
import { POLICY_YAML } from '../support/policy-fixture.ts';
import { makeRequest } from '../support/store-fixtures.ts';

const REASON = 'orders are down, INC-9 paging everyone';

async function breakGlassUsed(yaml?: string, requester = 'alice') {
  const h = coreHarness(yaml);
  const { request } = await createRequest(person(requester), { identityId: requester, scopes: ['prod-orders-db'], duration: '30m', reason: REASON, breakGlass: true }, h.ports);
  return { h, id: request.id };
}

/** sre reviews break-glass (alice and bob are sre; alice uses it). */
const SRE_REVIEWS = POLICY_YAML.replace(
  'breakGlass: { eligible: [group:sre], maxDuration: 1h, notify: [group:security] }',
  'breakGlass: { eligible: [group:sre], maxDuration: 1h, notify: [group:security], reviewers: [group:sre] }',
);

const auditOf = (h: ReturnType<typeof coreHarness>, action: string) => h.store.state.audit.filter((e) => e.action === action);

describe('acknowledgeReview', () => {
  it('creates the review task PENDING with the break-glass request, in the same transaction', async () => {
    const { h, id } = await breakGlassUsed();
    expect(h.store.state.requests.get(id)).toMatchObject({ breakGlass: true, status: 'APPROVED', reviewStatus: 'PENDING', reviewedBy: null });
    // One transaction: the row and every event of it are written together (no event of the review is missing).
    expect(h.store.state.audit.map((e) => e.action)).toEqual(['request.created', 'request.approved', 'breakglass.review_requested']);
  });

  it('lets a reviewer acknowledge it with a comment, audited with how long after the break-glass', async () => {
    const { h, id } = await breakGlassUsed();
    h.clock.advance(90 * 60_000);
    const result = await acknowledgeReview(person('erin', 'slack'), { requestId: id, comment: ' looked at the session log, fine ' }, h.ports);
    expect(result.changed).toBe(true);
    expect(h.store.state.requests.get(id)).toMatchObject({ reviewStatus: 'ACKNOWLEDGED', reviewedBy: 'erin', reviewComment: 'looked at the session log, fine', reviewedAt: h.clock.now() });
    expect(auditOf(h, 'breakglass.reviewed')).toEqual([
      expect.objectContaining({ actor: 'erin', requestId: id, data: expect.objectContaining({ breakGlass: true, reviewer: 'erin', comment: 'looked at the session log, fine', secondsAfterBreakGlass: 5400, via: 'slack' }) }),
    ]);
    expect(h.notifier.sent.at(-1)).toMatchObject({ kind: 'breakglass.reviewed', actorId: 'erin', request: { id, reviewStatus: 'ACKNOWLEDGED' } });
  });

  it('writes the acknowledgement and its audit event together: a failing audit append leaves the review PENDING', async () => {
    const { h, id } = await breakGlassUsed();
    const original = h.store.transaction.bind(h.store);
    h.store.transaction = (work) =>
      original(async (tx) => {
        const result = await work({ ...tx, appendAudit: () => { throw new Error('audit down'); } });
        return result;
      });
    await expect(acknowledgeReview(person('erin'), { requestId: id }, h.ports)).rejects.toThrow('audit down');
    expect(h.store.state.requests.get(id)?.reviewStatus).toBe('PENDING');
  });

  it('answers a repeated acknowledgement unchanged, without a second audit event or notification', async () => {
    const { h, id } = await breakGlassUsed(SRE_REVIEWS);
    await acknowledgeReview(person('bob'), { requestId: id, comment: 'ok' }, h.ports);
    const sent = h.notifier.sent.length;
    const again = await acknowledgeReview(person('bob'), { requestId: id, comment: 'again' }, h.ports);
    const other = await acknowledgeReview(person('erin'), { requestId: id }, h.ports);
    expect(again).toMatchObject({ changed: false, request: { reviewedBy: 'bob', reviewComment: 'ok' } });
    expect(other.changed).toBe(false);
    expect(auditOf(h, 'breakglass.reviewed')).toHaveLength(1);
    expect(h.notifier.sent).toHaveLength(sent);
  });

  it('refuses the break-glass requester acknowledging their own review, even as a reviewer and from another surface', async () => {
    const { h, id } = await breakGlassUsed(SRE_REVIEWS);
    for (const via of ['slack', 'teams', 'api'] as const) {
      await expect(acknowledgeReview(person('alice', via), { requestId: id }, h.ports)).rejects.toMatchObject({ code: 'SELF_APPROVAL' });
    }
    expect(h.store.state.requests.get(id)?.reviewStatus).toBe('PENDING');
    expect(auditOf(h, 'breakglass.reviewed')).toEqual([]);
  });

  it('refuses the owner of a service account reviewing its break-glass use', async () => {
    const h = coreHarness(POLICY_YAML.replace('notify: [group:security] }', 'notify: [group:security], reviewers: [group:dba] }'));
    const row = makeRequest({ requesterId: 'svc-bot', requesterKind: 'service', createdBy: 'svc-bot', workflow: 'one-sre', scopes: ['prod-billing-db'], status: 'ACTIVE', breakGlass: true, reviewStatus: 'PENDING' });
    h.store.state.requests.set(row.id, row);
    await expect(acknowledgeReview(person('carol'), { requestId: row.id }, h.ports)).rejects.toMatchObject({ code: 'SELF_APPROVAL' });
    expect((await acknowledgeReview(person('dave'), { requestId: row.id }, h.ports)).changed).toBe(true);
  });

  it('refuses someone who may see the request but is not a reviewer under the current policy', async () => {
    const { h, id } = await breakGlassUsed(SRE_REVIEWS);
    // erin is an admin (she sees everything) but sre reviews here.
    await expect(acknowledgeReview(person('erin'), { requestId: id }, h.ports)).rejects.toMatchObject({ code: 'NOT_ELIGIBLE' });
  });

  it('checks the reviewer at click time: one removed from the reviewers since the break-glass is refused', async () => {
    const { h, id } = await breakGlassUsed(SRE_REVIEWS);
    h.policy.replace((await import('../support/policy-fixture.ts')).testPolicy());
    await expect(acknowledgeReview(person('bob'), { requestId: id }, h.ports)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await acknowledgeReview(person('erin'), { requestId: id }, h.ports)).changed).toBe(true);
  });

  it('hides the request from someone who may not see it (NOT_FOUND, as elsewhere)', async () => {
    const { h, id } = await breakGlassUsed();
    await expect(acknowledgeReview(person('mallory'), { requestId: id }, h.ports)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(acknowledgeReview(person('erin'), { requestId: 'jit_01NOPE' }, h.ports)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses acknowledging a request that was not a break-glass use, with NOT_BREAK_GLASS (409)', async () => {
    const h = coreHarness();
    const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['prod-orders-db'], duration: '1h', reason: 'stuck orders' }, h.ports);
    expect(request.reviewStatus).toBeNull();
    const refused = acknowledgeReview(person('erin'), { requestId: request.id }, h.ports);
    await expect(refused).rejects.toMatchObject({ code: 'NOT_BREAK_GLASS', httpStatus: 409 });
  });

  it('shows the review in the request view: pending with its reviewers, then who acknowledged it when', async () => {
    const { h, id } = await breakGlassUsed();
    expect((await getRequest(person('erin'), id, h.ports)).review).toEqual({ status: 'pending', reviewers: ['erin@example.com'], acknowledgedBy: null, acknowledgedAt: null, comment: null });
    await acknowledgeReview(person('erin'), { requestId: id, comment: 'fine' }, h.ports);
    expect((await getRequest(person('alice'), id, h.ports)).review).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'erin', acknowledgedAt: h.clock.now().toISOString(), comment: 'fine' });
  });
});
