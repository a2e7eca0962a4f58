import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAzureProvider } from '../../../src/providers/azure/azure-provider.ts';
import { openAzureTarget, READER_ROLE, SECRET_ENV, type AzureTarget } from './azure-target.ts';

describe('azure provider, mode assignment', () => {
  let t: AzureTarget;
  beforeAll(async () => {
    t = await openAzureTarget();
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => t.fake.reset());

  const config = () => t.config('assignment');
  const assignmentsOf = (principal: string) => [...t.fake.assignments.values()].filter((a) => a.principalId === principal);
  const puts = () => t.fake.calls.filter((c) => c.method === 'PUT');

  it('grants a role assignment described with the request and its expiry, present until revoked', async () => {
    const principal = t.newPrincipal();
    const target = t.target(principal);
    const handle = await t.provider.grant(config(), target);
    expect(handle).toMatchObject({ mode: 'assignment', principalId: principal, preexisting: false });
    const [assignment] = assignmentsOf(principal);
    expect(assignment).toMatchObject({ name: handle.name, scope: t.scope, principalType: 'User', description: `Stint JIT ${target.requestId} until ${target.expiresAt.toISOString()}` });
    expect(assignment!.roleDefinitionId).toMatch(new RegExp(`/providers/Microsoft.Authorization/roleDefinitions/${READER_ROLE}$`));
    expect(await t.provider.check(config(), handle)).toBe('present');
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect(await t.provider.check(config(), handle)).toBe('absent');
    expect(assignmentsOf(principal)).toEqual([]);
  });

  it('sends the SDK token as a bearer and the api-version of role assignments', async () => {
    await t.provider.grant(config(), t.target(t.newPrincipal()));
    const [put] = puts();
    expect(put!.headers.authorization).toMatch(/^Bearer \S+$/);
    expect(put!.query.get('api-version')).toBe('2022-04-01');
  });

  it('uses the same assignment name for the same request, so a retried grant creates nothing more', async () => {
    const principal = t.newPrincipal();
    const target = t.target(principal);
    const first = await t.provider.grant(config(), target);
    const second = await t.provider.grant(config(), target);
    expect(second).toEqual(first);
    expect(assignmentsOf(principal)).toHaveLength(1);
    expect(new Set(puts().map((c) => c.path)).size).toBe(1);
  });

  it('gives another request another assignment name', async () => {
    const principal = t.newPrincipal();
    const a = await t.provider.grant(config(), t.target(principal, 'req-a'));
    const b = await t.provider.grant(config(), t.target(t.newPrincipal(), 'req-b'));
    expect(a.name).not.toBe(b.name);
  });

  it('treats revoking twice, or an assignment someone deleted, as success', async () => {
    const handle = await t.provider.grant(config(), t.target(t.newPrincipal()));
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    await expect(t.provider.revoke(config(), handle, { stillNeeded: false })).resolves.toBeUndefined();
  });

  it('keeps an assignment the person held before Stint (preexisting), and never deletes it', async () => {
    const principal = t.newPrincipal();
    t.fake.assignments.set('0f0f0f0f-0000-4000-8000-000000000001', {
      name: '0f0f0f0f-0000-4000-8000-000000000001', scope: t.scope, principalId: principal, principalType: 'User',
      roleDefinitionId: `/subscriptions/${t.fake.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${READER_ROLE}`, description: 'given by hand',
    });
    const handle = await t.provider.grant(config(), t.target(principal));
    expect(handle).toMatchObject({ preexisting: true, name: '0f0f0f0f-0000-4000-8000-000000000001' });
    expect(await t.provider.check(config(), handle)).toBe('present');
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect(assignmentsOf(principal)).toHaveLength(1);
  });

  it("shares another Stint request's assignment: kept while still needed, removed by the last one", async () => {
    const principal = t.newPrincipal();
    const first = await t.provider.grant(config(), t.target(principal, 'req-first'));
    const second = await t.provider.grant(config(), t.target(principal, 'req-second'));
    expect(second).toMatchObject({ preexisting: false, name: first.name });
    await t.provider.revoke(config(), first, { stillNeeded: true });
    expect(assignmentsOf(principal)).toHaveLength(1);
    await t.provider.revoke(config(), second, { stillNeeded: false });
    expect(assignmentsOf(principal)).toEqual([]);
  });

  it('extends by returning the handle (Stint holds the expiry)', async () => {
    const handle = await t.provider.grant(config(), t.target(t.newPrincipal()));
    expect(await t.provider.extend(config(), handle, new Date(Date.now() + 7200_000))).toEqual(handle);
  });

  it('retries a throttled call (429) and a server error, then succeeds', async () => {
    const principal = t.newPrincipal();
    t.fake.throttle(2, { retryAfterSec: 0 });
    t.fake.throttle(1, { status: 503 });
    const handle = await t.provider.grant(config(), t.target(principal));
    expect(assignmentsOf(principal)).toHaveLength(1);
    expect(puts().length).toBe(4);
    expect(await t.provider.check(config(), handle)).toBe('present');
  });

  it('succeeds when Azure created the assignment but the answer was lost (the retry PUTs the same name)', async () => {
    const principal = t.newPrincipal();
    t.fake.loseAnswers(1);
    const handle = await t.provider.grant(config(), t.target(principal));
    expect(handle.preexisting).toBe(false);
    expect(assignmentsOf(principal)).toHaveLength(1);
  });

  it("lists Stint's assignments at the scope with their request ids for the orphan sweep, not a person's own", async () => {
    const principal = t.newPrincipal();
    const handle = await t.provider.grant(config(), t.target(principal, 'req-orphan'));
    t.fake.assignments.set('0f0f0f0f-0000-4000-8000-00000000000a', { ...t.fake.assignments.get(handle.name as string)!, name: '0f0f0f0f-0000-4000-8000-00000000000a', principalId: t.newPrincipal(), description: 'by hand' });
    const listed = await t.provider.listGranted!(config());
    expect(listed.filter((o) => o.handle.principalId === principal)).toEqual([{ requestId: 'req-orphan', handle }]);
    expect(listed.map((o) => o.handle.name)).not.toContain('0f0f0f0f-0000-4000-8000-00000000000a');
  });

  it('waits for Retry-After before retrying (capped by maxRetryDelayMs)', async () => {
    const slow = createAzureProvider({ env: { [SECRET_ENV]: t.fake.entra.clientSecret }, trustedCa: t.fake.ca, retryDelayMs: 5, maxRetryDelayMs: 5_000 });
    t.fake.throttle(1, { retryAfterSec: 1 });
    const started = Date.now();
    await slow.grant(config(), t.target(t.newPrincipal()));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('gives up after maxAttempts of throttling with UNAVAILABLE (retried later by Stint)', async () => {
    t.fake.throttle(10, { retryAfterSec: 0 });
    await expect(t.provider.grant(t.config('assignment', { maxAttempts: 2 }), t.target(t.newPrincipal()))).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('after 2 tries') });
    expect(puts()).toHaveLength(2);
  });

  it('fails at once, naming the missing permission, when Stint may not write role assignments', async () => {
    t.fake.deny('Microsoft.Authorization/roleAssignments/write');
    const error = await t.provider.grant(config(), t.target(t.newPrincipal())).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('lacks Microsoft.Authorization/roleAssignments/write') });
    expect((error as Error).message).toContain(t.fake.entra.clientId);
    expect(puts()).toHaveLength(1);
  });

  it('fails at once naming accounts.azure when Azure does not know the principal', async () => {
    await expect(t.provider.grant(config(), t.target('9e9e9e9e-0000-4000-8000-000000000009'))).rejects.toMatchObject({ code: 'POLICY_INVALID', message: expect.stringContaining('accounts.azure') });
  });

  it('fails at once naming roleDefinitionId when the role does not exist', async () => {
    const config = t.config('assignment', { roleDefinitionId: '00000000-0000-4000-8000-0000000000ff' });
    await expect(t.provider.grant(config, t.target(t.newPrincipal()))).rejects.toMatchObject({ code: 'POLICY_INVALID', message: expect.stringContaining('roleDefinitionId') });
  });

  it('reports a refused client secret without echoing it', async () => {
    const wrong = createAzureProvider({ env: { [SECRET_ENV]: 'not-the-secret-0123' }, trustedCa: t.fake.ca, retryDelayMs: 1, maxRetryDelayMs: 5 });
    const error = await wrong.grant(config(), t.target(t.newPrincipal())).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'POLICY_INVALID', message: expect.stringContaining('clientSecret') });
    expect((error as Error).message).not.toContain('not-the-secret-0123');
  });

  it('asks Entra for an ARM token with the client credentials', async () => {
    const fresh = createAzureProvider({ env: { [SECRET_ENV]: t.fake.entra.clientSecret }, trustedCa: t.fake.ca });
    await fresh.grant(config(), t.target(t.newPrincipal()));
    const token = t.fake.calls.find((c) => c.path.endsWith('/oauth2/v2.0/token'))!;
    const form = new URLSearchParams(token.body as string);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('scope')).toBe('https://management.azure.com/.default');
    expect(token.path).toBe(`/${t.fake.entra.tenantId}/oauth2/v2.0/token`);
  });
});
