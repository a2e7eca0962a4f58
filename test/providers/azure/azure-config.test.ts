import { describe, expect, it } from 'vitest';
import { createAzureProvider } from '../../../src/providers/azure/azure-provider.ts';
import { parseAzureConfig, roleDefinitionIdOf } from '../../../src/providers/azure/azure-config.ts';

const SUB = '11111111-2222-4333-8444-555555555555';
const ROLE = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
const valid = { type: 'azure', scope: `/subscriptions/${SUB}/resourceGroups/rg`, roleDefinitionId: ROLE };
const provider = createAzureProvider({ env: {} });

function problemsOf(config: Record<string, unknown>): string {
  try {
    provider.validate(config);
  } catch (error) {
    return (error as Error).message;
  }
  return '';
}

describe('azure provider config', () => {
  it('accepts a minimal block and defaults to a plain role assignment for a User', () => {
    expect(parseAzureConfig(valid)).toMatchObject({ mode: 'assignment', principalType: 'User' });
  });

  it('reads the policy loader default mode (membership) as unset', () => {
    expect(parseAzureConfig({ ...valid, mode: 'membership' }).mode).toBe('assignment');
  });

  it('expands a bare role GUID at the scope subscription and keeps a full id', () => {
    expect(roleDefinitionIdOf(parseAzureConfig(valid))).toBe(`/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${ROLE}`);
    const full = `/providers/Microsoft.Authorization/roleDefinitions/${ROLE}`;
    expect(roleDefinitionIdOf(parseAzureConfig({ ...valid, roleDefinitionId: full }))).toBe(full);
  });

  it.each([
    [{ scope: 'subscriptions/x' }, 'scope:'],
    [{ scope: `/subscriptions/${SUB}/` }, 'scope:'],
    [{ roleDefinitionId: 'Reader' }, 'roleDefinitionId:'],
    [{ mode: 'eligible' }, 'mode:'],
    [{ clientSecret: 'hunter2-inline' }, 'clientSecret:'],
    [{ endpoint: 'http://management.azure.com' }, 'endpoint:'],
    [{ tenantId: 'contoso.onmicrosoft.com' }, 'tenantId:'],
    [{ maxAttempts: 0 }, 'maxAttempts:'],
    [{ principalType: 'Robot' }, 'principalType:'],
    [{ role: 'x' }, 'unknown key(s) role'],
  ])('names the bad field in %j', (patch, field) => {
    expect(problemsOf({ ...valid, ...patch })).toContain(field);
  });

  it('never echoes an inline secret', () => {
    expect(problemsOf({ ...valid, clientSecret: 'hunter2-inline' })).not.toContain('hunter2');
  });

  it('requires tenantId and clientId with a clientSecret', () => {
    const message = problemsOf({ ...valid, clientSecret: 'env:AZ_SECRET' });
    expect(message).toContain('tenantId: required with clientSecret');
    expect(message).toContain('clientId: required with clientSecret');
  });

  it('refuses a grant for a person without accounts.azure, or with a name instead of an object id', async () => {
    const target = { requestId: 'r1', resourceId: 'res', principalId: 'alice', expiresAt: new Date(Date.now() + 60_000) };
    await expect(provider.grant(valid, { ...target, account: undefined })).rejects.toMatchObject({ code: 'POLICY_INVALID', message: expect.stringContaining('accounts.azure') });
    await expect(provider.grant(valid, { ...target, account: 'alice@contoso.com' })).rejects.toMatchObject({ code: 'POLICY_INVALID', message: expect.stringContaining('accounts.azure') });
  });

  it('describes the grant for a card', () => {
    expect(provider.describe({ ...valid, mode: 'pim-schedule' })).toBe(`Azure: time-bound PIM assignment of role ${ROLE} at /subscriptions/${SUB}/resourceGroups/rg`);
  });
});
