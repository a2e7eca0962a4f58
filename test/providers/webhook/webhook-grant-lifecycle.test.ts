/** The webhook provider under the grant use cases: what a requester and the audit see when the receiver says no. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { activateGrant } from '../../../src/core/activate-grant.ts';
import { createRequest } from '../../../src/core/create-request.ts';
import { revokeGrant } from '../../../src/core/revoke-grant.ts';
import { person } from '../../support/core-harness.ts';
import { grantHarness, type GrantHarness } from '../../support/grant-harness.ts';
import { POLICY_YAML, testPolicy } from '../../support/policy-fixture.ts';
import { webhookRig, type WebhookRig } from './webhook-setup.ts';

function policyWithWebhook(url: string): string {
  const alice = '- { id: alice, email: alice@example.com, slack: U0ALICE, groups: [sre] }';
  if (!POLICY_YAML.includes(alice) || !POLICY_YAML.includes('\nworkflows:\n')) throw new Error('the test policy changed: update this fixture');
  return POLICY_YAML.replace(alice, '- { id: alice, email: alice@example.com, slack: U0ALICE, groups: [sre], accounts: { webhook: "alice@corp" } }').replace(
    '\nworkflows:\n',
    `\n  - id: billing-app\n    provider: { type: webhook, url: "${url}", secret: "env:HOOK_SECRET", timeoutSec: 1, maxAttempts: 2 }\n    maxDuration: 1h\n    workflow: auto-only\nworkflows:\n`,
  );
}

describe('webhook provider through activateGrant and revokeGrant', () => {
  let rig: WebhookRig;
  let h: GrantHarness;

  beforeEach(async () => {
    rig = await webhookRig();
    h = grantHarness({ webhook: rig.provider });
    h.policy.replace(testPolicy(policyWithWebhook(rig.receiver.url)));
  });
  afterEach(async () => rig?.receiver.close());

  async function approvedRequest() {
    const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['billing-app'], duration: '10m', reason: 'invoice fix' }, h.ports);
    expect(request.status).toBe('APPROVED');
    return request;
  }

  it('ends GRANT_FAILED on a permanent 403: audited, the requester told, nothing held', async () => {
    rig.receiver.failAlways({ kind: 'status', status: 403, body: '{"error":"alice@corp may not use billing"}' });
    const request = await approvedRequest();
    const result = await activateGrant(request.id, h.grantPorts);
    expect(result.status).toBe('GRANT_FAILED');
    const failed = h.store.state.audit.at(-1)!;
    expect(failed).toMatchObject({ action: 'grant.failed', requestId: request.id });
    expect(String((failed.data as { reason: string }).reason)).toMatch(/grant answered 403: \{"error":"alice@corp may not use billing"\}/);
    const told = h.notifier.sent.find((n) => n.kind === 'grant.failed');
    expect(told).toMatchObject({ request: { id: request.id, requesterId: 'alice' }, reason: expect.stringContaining('403') });
    expect(rig.receiver.calls).toHaveLength(1); // permanent: not retried
    expect(rig.receiver.holds('billing-app', 'alice@corp')).toBe(false);
  });

  it('activates with the person\'s webhook account and revokes to REVOKED, confirmed by check', async () => {
    const request = await approvedRequest();
    expect((await activateGrant(request.id, h.grantPorts)).status).toBe('ACTIVE');
    expect(rig.receiver.holds('billing-app', 'alice@corp')).toBe(true);
    const revoked = await revokeGrant(request.id, 'revoked', 'erin', h.grantPorts);
    expect(revoked.status).toBe('REVOKED');
    expect(rig.receiver.holds('billing-app', 'alice@corp')).toBe(false);
    expect(rig.receiver.applied().map((c) => c.event)).toEqual(['grant', 'revoke', 'check']);
  });

  it('keeps the request REVOKING while the receiver fails, and finishes once it is back', async () => {
    const request = await approvedRequest();
    await activateGrant(request.id, h.grantPorts);
    rig.receiver.failAlways({ kind: 'status', status: 503 });
    await expect(revokeGrant(request.id, 'revoked', 'erin', h.grantPorts)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect((await h.store.getRequest(request.id))?.status).toBe('REVOKING');
    expect(h.store.state.audit.map((e) => e.action)).toContain('grant.revoke_failed');
    rig.receiver.clearFaults();
    expect((await revokeGrant(request.id, 'revoked', 'erin', h.grantPorts)).status).toBe('REVOKED');
    expect(rig.receiver.holds('billing-app', 'alice@corp')).toBe(false);
  });
});
