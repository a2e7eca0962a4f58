/**
 * The gcp provider under the grant use cases (activateGrant, revokeGrant) with the test policy's dev-* resources
 * on GCP: access really granted and revoked on the fake; a permanent error ends the request GRANT_FAILED,
 * audited, the requester told.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { activateGrant } from '../../../src/core/activate-grant.ts';
import { createRequest } from '../../../src/core/create-request.ts';
import type { GrantPorts } from '../../../src/core/ports.ts';
import { revokeGrant } from '../../../src/core/revoke-grant.ts';
import { StintError } from '../../../src/domain/errors.ts';
import { coreHarness, person } from '../../support/core-harness.ts';
import { POLICY_YAML } from '../../support/policy-fixture.ts';
import { ALICE, PROJECT, ROLE, openGcpTarget, type GcpTarget } from './gcp-target.ts';

describe('gcp provider in the grant flow', () => {
  let t: GcpTarget;
  beforeAll(async () => {
    t = await openGcpTarget();
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => {
    t.fake.seed(PROJECT);
    t.fake.denyAll(false);
  });

  function harness() {
    const provider = `provider: { type: gcp, resource: "${PROJECT}", role: "${ROLE}", credentials: "file:${t.keyPath}", endpoint: "${t.fake.url}", maxAttempts: 2 }`;
    const yaml = POLICY_YAML.replace('provider: { type: postgres, connection: "env:DEV_DB_ADMIN_URL", role: dev_rw }', provider).replace(
      '{ id: alice, email: alice@example.com, slack: U0ALICE, groups: [sre] }',
      '{ id: alice, email: alice@example.com, slack: U0ALICE, groups: [sre], accounts: { gcp: alice@example.com } }',
    );
    expect(yaml).toContain('type: gcp');
    expect(yaml).toContain('accounts: { gcp:');
    const h = coreHarness(yaml);
    const grantPorts: GrantPorts = {
      ...h.ports,
      providers: {
        get: (type) => {
          if (type !== 'gcp') throw new StintError('POLICY_INVALID', `unknown provider type "${type}"`);
          return t.provider;
        },
      },
    };
    return { ...h, grantPorts };
  }

  async function approved(h: ReturnType<typeof harness>) {
    const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['dev-api'], duration: '1h', reason: 'debug' }, h.ports);
    expect(request.status).toBe('APPROVED');
    return request;
  }

  it('activates with a binding that expires with the request, and revoking removes it', async () => {
    const h = harness();
    const request = await approved(h);
    const { status, request: active } = await activateGrant(request.id, h.grantPorts);
    expect(status).toBe('ACTIVE');
    const [binding] = t.fake.bindings(PROJECT);
    expect(binding).toMatchObject({ role: ROLE, members: [ALICE], condition: { title: `stint-${request.id}` } });
    expect(binding!.condition!.expression).toBe(`request.time < timestamp("${active!.expiresAt!.toISOString().replace('.000Z', 'Z')}")`);
    await revokeGrant(request.id, 'revoked', 'alice', h.grantPorts);
    expect((await h.store.getRequest(request.id))?.status).toBe('REVOKED');
    expect(t.fake.bindings(PROJECT)).toEqual([]);
  });

  it('ends GRANT_FAILED on a permanent denial: audited, the requester told, nothing left on GCP', async () => {
    const h = harness();
    const request = await approved(h);
    t.fake.denyAll(true);
    const { status } = await activateGrant(request.id, h.grantPorts);
    expect(status).toBe('GRANT_FAILED');
    const failed = h.store.state.audit.find((e) => e.action === 'grant.failed');
    expect(failed?.data).toMatchObject({ reason: expect.stringMatching(/^FORBIDDEN: GCP getIamPolicy on projects\/stint-test-1 failed: PERMISSION_DENIED/) });
    const told = h.notifier.sent.find((n) => n.kind === 'grant.failed');
    expect(told).toMatchObject({ request: { id: request.id, requesterId: 'alice' } });
    t.fake.denyAll(false);
    expect(t.fake.bindings(PROJECT)).toEqual([]);
  });

  it('ends GRANT_FAILED when the person has no accounts.gcp, saying so', async () => {
    const h = harness();
    const { request } = await createRequest(person('bob'), { identityId: 'bob', scopes: ['dev-api'], duration: '1h', reason: 'debug' }, h.ports);
    expect((await activateGrant(request.id, h.grantPorts)).status).toBe('GRANT_FAILED');
    expect(h.notifier.sent.find((n) => n.kind === 'grant.failed')).toMatchObject({ reason: expect.stringContaining('accounts.gcp') });
  });
});
