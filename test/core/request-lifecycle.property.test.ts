/**
 * Property: any sequence of create/approve/deny/cancel by random actors keeps the invariants — nobody
 * decides their own request, a request is decided at most once, approvals come from distinct eligible
 * people, refusals change nothing, and the audit chain verifies.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify-chain.ts';
import { cancelRequest } from '../../src/core/cancel-request.ts';
import { createRequest } from '../../src/core/create-request.ts';
import { decideRequest } from '../../src/core/decide-request.ts';
import { isStintError } from '../../src/domain/errors.ts';
import { coreHarness, person } from '../support/core-harness.ts';

const PEOPLE = ['alice', 'bob', 'carol', 'dave', 'frank', 'erin', 'mallory'];
const SCOPES = ['prod-orders-db', 'prod-billing-db', 'dev-api', 'sandbox', 'nope'];

const step = fc.oneof(
  fc.record({ op: fc.constant('create' as const), who: fc.constantFrom(...PEOPLE), scope: fc.constantFrom(...SCOPES), duration: fc.constantFrom('10m', '1h', '3h', '0m') }),
  fc.record({ op: fc.constantFrom('approve' as const, 'deny' as const, 'cancel' as const), who: fc.constantFrom(...PEOPLE), target: fc.nat(20) }),
);

async function* asStream<T>(items: T[]) {
  yield* items;
}

describe('request lifecycle (property)', () => {
  it('keeps the invariants under random sequences of actions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const h = coreHarness();
        const ids: string[] = [];
        for (const s of steps) {
          const before = JSON.stringify([...h.store.state.requests.values()].map((r) => r.status)) + h.store.state.decisions.length;
          try {
            if (s.op === 'create') {
              const { request } = await createRequest(person(s.who), { identityId: s.who, scopes: [s.scope], duration: s.duration, reason: 'property run' }, h.ports);
              ids.push(request.id);
            } else if (ids.length > 0) {
              const requestId = ids[s.target % ids.length]!;
              if (s.op === 'cancel') await cancelRequest(person(s.who), { requestId }, h.ports);
              else await decideRequest(person(s.who), { requestId, verdict: s.op, comment: 'because' }, h.ports);
            }
          } catch (err) {
            if (!isStintError(err)) throw err;
            // A refusal changes nothing.
            const after = JSON.stringify([...h.store.state.requests.values()].map((r) => r.status)) + h.store.state.decisions.length;
            expect(after).toBe(before);
          }
        }
        for (const request of h.store.state.requests.values()) {
          const decisions = h.store.state.decisions.filter((d) => d.requestId === request.id);
          expect(decisions.some((d) => d.approverId === request.requesterId)).toBe(false);
          expect(new Set(decisions.map((d) => d.approverId)).size).toBe(decisions.length);
          const finals = h.store.state.audit.filter(
            (e) => e.requestId === request.id && ['request.approved', 'request.denied', 'request.cancelled'].includes(e.action),
          );
          expect(finals.length).toBeLessThanOrEqual(1);
          if (request.status === 'APPROVED' && !request.autoApproved && !request.breakGlass) {
            expect(decisions.filter((d) => d.verdict === 'approve').length).toBe(request.required);
          }
        }
        const verdict = await verifyChain(asStream(h.store.state.audit));
        expect(verdict.ok).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
