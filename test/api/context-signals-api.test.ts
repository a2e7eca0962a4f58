/**
 * Context signals on REST requests (issue 12): the source IP against trustedNetworks, device posture from an MDM
 * webhook or an identity-aware proxy's header, the requester's baseline — recorded, shown on the card, in the risk
 * score and in CEL `when`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequest } from '../../src/core/create-request.ts';
import { buildRequestCard } from '../../src/notify/request-view.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { apiHarness, type ApiHarness } from '../support/api-harness.ts';

const POLICY = `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [dev] }
  - { id: carol, email: carol@example.com, groups: [ops] }
  - { id: erin, email: erin@example.com, groups: [security] }
admins: [group:security]
timezone: UTC
trustedNetworks: [10.0.0.0/8]
devicePosture: { header: X-Device-Posture }
resources:
  - { id: app-db, provider: { type: postgres, connection: "env:X", role: r }, maxDuration: 4h, workflow: office }
  - { id: logs-db, provider: { type: postgres, connection: "env:X", role: r }, maxDuration: 4h, workflow: office }
workflows:
  office:
    eligible: [group:dev]
    autoApprove:
      conditions: [{ type: DURATION, operator: LESS_THAN, value: 2h }]
      when: 'request.trustedNetwork && request.device != "noncompliant"'
    approvers: [group:ops]
`;

let h: ApiHarness;

beforeAll(async () => {
  h = await apiHarness({ policy: parsePolicy(POLICY, 'signals.yaml'), people: ['alice', 'carol', 'erin'] });
  h.clock.set(new Date('2026-11-25T10:00:00Z'));
}, 60_000);
afterAll(async () => {
  await h?.close();
});

async function ask(from: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const response = await h.app.server.inject({
    method: 'POST',
    url: '/api/v1/credentials/jit',
    remoteAddress: from,
    headers: { authorization: `Bearer ${h.tokens.alice}`, 'content-type': 'application/json', ...headers },
    payload: JSON.stringify({ reason: 'INC-5 look at it', duration: '30m', scopes: ['app-db'], ...body }),
  });
  expect(response.statusCode, response.body).toBe(201);
  return JSON.parse(response.body);
}

describe('context signals on a REST request', () => {
  it('records a trusted source, and CEL when auto-approves on it', async () => {
    const view = await ask('10.1.2.3', {});
    expect(view.context).toMatchObject({ sourceIp: '10.1.2.3', trustedNetwork: true, device: 'unknown' });
    expect(view).toMatchObject({ status: 'APPROVED', autoApproved: true });
  });

  it('flags an untrusted network in the risk score and on the card, and the CEL when keeps it for a person', async () => {
    const view = await ask('203.0.113.9', {});
    expect(view).toMatchObject({ status: 'PENDING', context: { trustedNetwork: false } });
    expect(view.riskSignals).toContain('untrusted network');
    const card = buildRequestCard((await h.app.store.getRequest(view.id))!, [], h.app.policy.current(), h.clock.now());
    expect(card.facts.find((f) => f.label === 'Context')?.value).toContain('from 203.0.113.9 (untrusted network)');
  });

  it('believes X-Forwarded-For only from a proxy STINT_TRUST_PROXY names', async () => {
    const forwarded = { 'x-forwarded-for': '203.0.113.50' };
    expect((await ask('10.1.2.3', {}, forwarded)).context.sourceIp).toBe('10.1.2.3');
    const behind = await apiHarness({ policy: parsePolicy(POLICY, 'signals.yaml'), people: ['alice'], env: { STINT_TRUST_PROXY: '10.1.2.3' } });
    try {
      const response = await behind.app.server.inject({
        method: 'POST',
        url: '/api/v1/credentials/jit',
        remoteAddress: '10.1.2.3',
        headers: { authorization: `Bearer ${behind.tokens.alice}`, 'content-type': 'application/json', ...forwarded },
        payload: JSON.stringify({ reason: 'INC-5', duration: '30m', scopes: ['app-db'] }),
      });
      expect(JSON.parse(response.body).context).toMatchObject({ sourceIp: '203.0.113.50', trustedNetwork: false });
    } finally {
      await behind.close();
    }
  });

  it('takes the device posture from the proxy header the policy names', async () => {
    const view = await ask('10.1.2.3', {}, { 'x-device-posture': 'NonCompliant' });
    expect(view).toMatchObject({ status: 'PENDING', context: { device: 'noncompliant' } });
    expect(view.riskSignals).toContain('noncompliant device');
  });

  it('takes it from an MDM webhook (admins only) for the next 24 hours', async () => {
    const refused = await h.call('alice', 'POST', '/api/v1/signals/device', { personId: 'alice', compliant: true });
    expect(refused.status).toBe(403);
    const reported = await h.call('erin', 'POST', '/api/v1/signals/device', { personId: 'alice', compliant: false, deviceId: 'MAC-42', source: 'jamf' });
    expect(reported.status, JSON.stringify(reported.body)).toBe(200);
    expect((await ask('10.1.2.3', {})).context.device).toBe('noncompliant');
    h.clock.advance(25 * 3_600_000);
    try {
      expect((await ask('10.1.2.3', {})).context.device).toBe('unknown');
    } finally {
      h.clock.advance(-25 * 3_600_000);
    }
    const doc = JSON.parse((await h.app.server.inject({ method: 'GET', url: '/openapi.json' })).body);
    expect(doc.paths['/api/v1/signals/device'].post.requestBody.content['application/json'].schema.required).toEqual(['personId', 'compliant']);
    const unknown = await h.call('erin', 'POST', '/api/v1/signals/device', { personId: 'nobody', compliant: true });
    expect(unknown.status).toBe(404);
    const events = (await h.app.store.readAudit(0n, 10_000)).filter((e) => e.action === 'signal.device_posture');
    expect(events.at(-1)?.data).toMatchObject({ personId: 'alice', compliant: false, deviceId: 'MAC-42', source: 'jamf' });
  });

  it('says a resource is new for the requester once they have a baseline, and a chat request has no source IP', async () => {
    const view = await ask('10.1.2.3', { scopes: ['logs-db'] });
    expect(view.context.newResource).toBe(true);
    expect(view.riskSignals).toContain('new resource');
    const { request } = await createRequest({ id: 'alice', kind: 'person', scopes: ['request'], via: 'slack' }, { identityId: 'alice', scopes: ['app-db'], duration: '30m', reason: 'from chat' }, h.app.core);
    const card = buildRequestCard(request, [], h.app.policy.current(), h.clock.now());
    expect(card.facts.find((f) => f.label === 'Context')?.value).toMatch(/^chat request \(no source IP\)/);
  });
});
