import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateGrant } from '../../../src/core/activate-grant.ts';
import { revokeGrant } from '../../../src/core/revoke-grant.ts';
import type { GrantPorts } from '../../../src/core/ports.ts';
import { StintError } from '../../../src/domain/errors.ts';
import { coreHarness } from '../../support/core-harness.ts';
import { approvedDevRequest, type GrantHarness } from '../../support/grant-harness.ts';
import { POLICY_YAML } from '../../support/policy-fixture.ts';
import { createNoopProvider } from '../../../src/providers/noop/noop-provider.ts';
import { openAzureTarget, type AzureTarget } from './azure-target.ts';

/** The test policy with `dev-*` served by azure and alice's Entra object id as accounts.azure. */
function azureHarness(t: AzureTarget, principal: string, mode: 'assignment' | 'pim-schedule'): GrantHarness {
  const c = t.config(mode);
  const block = `provider: { type: azure, mode: ${mode}, scope: "${c.scope}", roleDefinitionId: "${c.roleDefinitionId}", tenantId: "${c.tenantId}", clientId: "${c.clientId}", clientSecret: "${c.clientSecret}", endpoint: "${c.endpoint}", authorityHost: "${c.authorityHost}", audience: "${c.audience}" }`;
  const yaml = POLICY_YAML.replace('provider: { type: postgres, connection: "env:DEV_DB_ADMIN_URL", role: dev_rw }', block).replace(
    '{ id: alice, email: alice@example.com, slack: U0ALICE, groups: [sre] }',
    `{ id: alice, email: alice@example.com, slack: U0ALICE, groups: [sre], accounts: { azure: "${principal}" } }`,
  );
  expect(yaml).toContain('type: azure');
  const h = coreHarness(yaml);
  // Azure (the fake) checks schedule ends against its own clock: Stint's clock agrees with it here.
  h.clock.set(new Date());
  const grantPorts: GrantPorts = {
    ...h.ports,
    providers: {
      get: (type) => {
        if (type === 'azure') return t.provider;
        throw new StintError('POLICY_INVALID', `unknown provider type "${type}"`);
      },
    },
  };
  return { ...h, noop: createNoopProvider(), grantPorts };
}

describe('azure provider through activateGrant and revokeGrant', () => {
  let t: AzureTarget;
  beforeAll(async () => {
    t = await openAzureTarget();
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(['assignment', 'pim-schedule'] as const)('activates and revokes a %s grant end to end', async (mode) => {
    const principal = t.newPrincipal();
    const h = azureHarness(t, principal, mode);
    const request = await approvedDevRequest(h);
    expect((await activateGrant(request.id, h.grantPorts)).status).toBe('ACTIVE');
    const held = () => (mode === 'assignment' ? [...t.fake.assignments.values()] : t.fake.pim.instances).filter((a) => a.principalId === principal);
    expect(held()).toHaveLength(1);
    expect((await revokeGrant(request.id, 'done', 'alice', h.grantPorts)).status).toBe('REVOKED');
    expect(held()).toEqual([]);
  });

  it('ends GRANT_FAILED, audited and told to the requester, when Stint lacks the permission to assign roles', async () => {
    const principal = t.newPrincipal();
    const h = azureHarness(t, principal, 'assignment');
    t.fake.reset();
    t.fake.deny('Microsoft.Authorization/roleAssignments/write');
    try {
      const request = await approvedDevRequest(h);
      const result = await activateGrant(request.id, h.grantPorts);
      expect(result.status).toBe('GRANT_FAILED');
      const failed = h.store.state.audit.find((e) => e.action === 'grant.failed');
      expect(failed?.data).toMatchObject({ reason: expect.stringContaining('Microsoft.Authorization/roleAssignments/write') });
      const told = h.notifier.sent.find((n) => n.kind === 'grant.failed');
      expect(told).toMatchObject({ reason: expect.stringContaining('lacks Microsoft.Authorization/roleAssignments/write') });
      expect(JSON.stringify(h.store.state.audit, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(t.fake.entra.clientSecret);
      expect([...t.fake.assignments.values()].filter((a) => a.principalId === principal)).toEqual([]);
    } finally {
      t.fake.reset();
    }
  });
});
