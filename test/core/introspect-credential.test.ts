/** introspectCredential with a fake credential store: who may ask, and every condition an active answer needs. */
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/core/actor.ts';
import { introspectCredential, type IntrospectionPorts } from '../../src/core/introspect-credential.ts';
import { mintJitToken } from '../../src/core/jit-token.ts';
import type { JitCredentialLookup } from '../../src/core/ports.ts';
import { PolicyHolder } from '../../src/policy/policy-holder.ts';
import { FixedClock } from '../fakes/fixed-clock.ts';
import { testPolicy } from '../support/policy-fixture.ts';

const resourceServer: Actor = { id: 'svc-bot', kind: 'service', scopes: ['introspect'], via: 'api' };
const minted = mintJitToken();

function setup(overrides: Partial<JitCredentialLookup> = {}) {
  const clock = new FixedClock(new Date('2026-12-02T10:00:00Z'));
  const lookup: JitCredentialLookup = {
    requestId: 'jit_1',
    principalId: 'svc-bot',
    scopes: ['sandbox'],
    expiresAt: new Date('2026-12-02T10:30:00Z'),
    revokedAt: null,
    createdAt: new Date('2026-12-02T09:59:00Z'),
    requestStatus: 'ACTIVE',
    requestRequesterId: 'svc-bot',
    requestReason: 'INC-7 nightly sync',
    requestTicket: 'INC-7',
    serviceAccountSuspended: false,
    ...overrides,
  };
  const answers: boolean[] = [];
  const asked: unknown[] = [];
  const ports: IntrospectionPorts = {
    credentials: { findJitCredentialByHash: async (hash) => (hash === minted.hash ? lookup : null) },
    policy: new PolicyHolder(testPolicy()),
    clock,
    onAnswer: (active) => answers.push(active),
    guardrail: async (input) => {
      asked.push(input);
      return false;
    },
  };
  return { ports, clock, answers, asked, ask: (actor: Actor = resourceServer) => introspectCredential(actor, { token: minted.token }, ports) };
}

describe('introspectCredential', () => {
  it('answers a live service-account credential as active, in RFC 7662 fields, and counts it', async () => {
    const t = setup();
    expect(await t.ask()).toEqual({ active: true, scope: 'sandbox', exp: Date.parse('2026-12-02T10:30:00Z') / 1000, iat: Date.parse('2026-12-02T09:59:00Z') / 1000, sub: 'svc-bot', request_id: 'jit_1', token_type: 'stint_jit', client_id: 'svc-bot' });
    expect(t.answers).toEqual([true]);
    // Guardrails judge the request as the lookup read it: no second read of the request per introspection.
    expect(t.asked).toEqual([expect.objectContaining({ requestId: 'jit_1', request: { requesterId: 'svc-bot', reason: 'INC-7 nightly sync', ticket: 'INC-7' } })]);
  });

  it('refuses a caller without the introspect scope with FORBIDDEN, and lets admins ask', async () => {
    const t = setup();
    await expect(t.ask({ id: 'alice', kind: 'person', scopes: ['request', 'approve'], via: 'api' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await t.ask({ id: 'erin', kind: 'person', scopes: ['request'], via: 'api' })).toMatchObject({ active: true });
    expect(await t.ask({ id: 'bootstrap', kind: 'bootstrap', scopes: [], via: 'api' })).toMatchObject({ active: true });
  });

  it.each([
    ['a revoked credential', { revokedAt: new Date('2026-12-02T09:59:30Z') }],
    ['a credential without scopes', { scopes: [] }],
    ['a request being revoked', { requestStatus: 'REVOKING' as const }],
    ['a request row that is gone', { requestStatus: null }],
    ['a suspended service account', { serviceAccountSuspended: true }],
    ['a service account without its row', { serviceAccountSuspended: null }],
    ['a principal the policy does not know', { principalId: 'ghost' }],
    ['a person the policy disabled', { principalId: 'alice' }],
  ] as Array<[string, Partial<JitCredentialLookup>]>)('answers only { active: false } for %s, without asking the guardrails', async (_what, overrides) => {
    const t = setup(overrides);
    if (overrides.principalId === 'alice') t.ports.policy = new PolicyHolder({ ...testPolicy(), people: new Map([...testPolicy().people].map(([id, p]) => [id, id === 'alice' ? { ...p, disabled: true } : p])) });
    expect(await t.ask()).toEqual({ active: false });
    expect(t.asked).toEqual([]);
    expect(t.answers).toEqual([false]);
  });

  it("answers inactive when the service account's owner is disabled", async () => {
    const t = setup();
    const policy = testPolicy();
    t.ports.policy = new PolicyHolder({ ...policy, people: new Map([...policy.people].map(([id, p]) => [id, id === 'carol' ? { ...p, disabled: true } : p])) });
    expect(await t.ask()).toEqual({ active: false });
  });

  it('answers inactive at the expiry instant by the clock', async () => {
    const t = setup();
    t.clock.set(new Date('2026-12-02T10:30:00Z'));
    expect(await t.ask()).toEqual({ active: false });
  });

  it('answers inactive for a value that is not a stint_jit_ credential without reading the store', async () => {
    const t = setup();
    t.ports.credentials = { findJitCredentialByHash: async () => { throw new Error('must not be read'); } };
    expect(await introspectCredential(resourceServer, { token: 'stint_live_abc' }, t.ports)).toEqual({ active: false });
  });
});
