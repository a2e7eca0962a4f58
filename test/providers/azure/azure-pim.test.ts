import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAzureProvider } from '../../../src/providers/azure/azure-provider.ts';
import { startFakeAzure } from '../../fakes/azure-arm.ts';
import { READER_ROLE, SECRET_ENV, type AzureTarget } from './azure-target.ts';
import { openAzureTarget } from './azure-target.ts';

describe('azure provider, mode pim-schedule', () => {
  let t: AzureTarget;
  beforeAll(async () => {
    t = await openAzureTarget();
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => t.fake.reset());

  const config = () => t.config('pim-schedule');
  const instancesOf = (principal: string) => t.fake.pim.instances.filter((i) => i.principalId === principal);
  const scheduleRequests = () => t.fake.calls.filter((c) => c.method === 'PUT' && c.path.includes('/roleAssignmentScheduleRequests/'));

  it('grants an AdminAssign schedule that ends at the expiry, present until revoked with AdminRemove', async () => {
    const principal = t.newPrincipal();
    const target = t.target(principal);
    const handle = await t.provider.grant(config(), target);
    expect(handle).toMatchObject({ mode: 'pim-schedule', preexisting: false });
    const [assign] = scheduleRequests();
    expect(assign!.query.get('api-version')).toBe('2020-10-01');
    expect(assign!.body.properties).toMatchObject({
      requestType: 'AdminAssign',
      principalId: principal,
      justification: `Stint JIT ${target.requestId} until ${target.expiresAt.toISOString()}`,
      scheduleInfo: { expiration: { type: 'AfterDateTime', endDateTime: target.expiresAt.toISOString() } },
    });
    expect(instancesOf(principal)[0]!.end).toEqual(target.expiresAt);
    expect(await t.provider.check(config(), handle)).toBe('present');
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect(scheduleRequests().at(-1)!.body.properties.requestType).toBe('AdminRemove');
    expect(await t.provider.check(config(), handle)).toBe('absent');
  });

  it('sends one AdminAssign for a retried grant (same request name, not PUT again)', async () => {
    const principal = t.newPrincipal();
    const target = t.target(principal);
    const first = await t.provider.grant(config(), target);
    const second = await t.provider.grant(config(), target);
    expect(second).toEqual(first);
    expect(scheduleRequests()).toHaveLength(1);
    expect(instancesOf(principal)).toHaveLength(1);
  });

  it('treats revoking twice as success (PIM: no such assignment)', async () => {
    const handle = await t.provider.grant(config(), t.target(t.newPrincipal()));
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    await expect(t.provider.revoke(config(), handle, { stillNeeded: false })).resolves.toBeUndefined();
  });

  it('extends with AdminExtend to the new end', async () => {
    const principal = t.newPrincipal();
    const handle = await t.provider.grant(config(), t.target(principal));
    const later = new Date(Date.now() + 3 * 3600_000);
    expect(await t.provider.extend(config(), handle, later)).toEqual(handle);
    expect(scheduleRequests().at(-1)!.body.properties).toMatchObject({ requestType: 'AdminExtend', scheduleInfo: { expiration: { endDateTime: later.toISOString() } } });
    expect(instancesOf(principal)[0]!.end).toEqual(later);
  });

  it('keeps an active assignment the person had before Stint (preexisting)', async () => {
    const principal = t.newPrincipal();
    const roleDefinitionId = `/subscriptions/${t.fake.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${READER_ROLE}`;
    t.fake.pim.instances.push({ scope: t.scope, roleDefinitionId, principalId: principal, start: new Date(Date.now() - 60_000), end: null });
    const handle = await t.provider.grant(config(), t.target(principal));
    expect(handle.preexisting).toBe(true);
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect(instancesOf(principal)).toHaveLength(1);
    expect(await t.provider.extend(config(), handle, new Date(Date.now() + 7200_000))).toEqual(handle);
    expect(instancesOf(principal)[0]!.end).toBeNull();
  });

  it("shares another Stint request's schedule: kept while still needed, removed by the last one", async () => {
    const principal = t.newPrincipal();
    const first = await t.provider.grant(config(), t.target(principal, 'req-first'));
    const second = await t.provider.grant(config(), t.target(principal, 'req-second'));
    expect(second.preexisting).toBe(false);
    await t.provider.revoke(config(), first, { stillNeeded: true });
    expect(instancesOf(principal)).toHaveLength(1);
    await t.provider.revoke(config(), second, { stillNeeded: false });
    expect(instancesOf(principal)).toEqual([]);
  });

  it('retries a throttled schedule request and succeeds', async () => {
    const principal = t.newPrincipal();
    t.fake.throttle(2, { retryAfterSec: 0, path: `${t.scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/` });
    await t.provider.grant(config(), t.target(principal));
    expect(instancesOf(principal)).toHaveLength(1);
  });

  it('succeeds when PIM accepted the AdminAssign but the answer was lost (the retry finds its own request)', async () => {
    const principal = t.newPrincipal();
    t.fake.loseAnswers(1);
    const handle = await t.provider.grant(config(), t.target(principal));
    expect(handle.preexisting).toBe(false);
    expect(instancesOf(principal)).toHaveLength(1);
    expect(await t.provider.check(config(), handle)).toBe('present');
  });

  it('lists the active schedules Stint requested, with their request ids, for the orphan sweep', async () => {
    const principal = t.newPrincipal();
    const handle = await t.provider.grant(config(), t.target(principal, 'req-orphan'));
    expect((await t.provider.listGranted!(config())).filter((o) => o.handle.principalId === principal)).toEqual([{ requestId: 'req-orphan', handle }]);
    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect((await t.provider.listGranted!(config())).filter((o) => o.handle.principalId === principal)).toEqual([]);
  });

  it('fails at once naming the PIM permission Stint lacks', async () => {
    t.fake.deny('Microsoft.Authorization/roleAssignmentScheduleRequests/write');
    await expect(t.provider.grant(config(), t.target(t.newPrincipal()))).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('lacks Microsoft.Authorization/roleAssignmentScheduleRequests/write'),
    });
  });
});

describe('azure provider, pim-schedule expiry on Azure', () => {
  it('reports absent once Azure has ended the schedule, even though Stint never revoked', async () => {
    let now = Date.now();
    const fake = await startFakeAzure({ now: () => new Date(now) });
    try {
      fake.roles.add(READER_ROLE);
      const principal = '3c3c3c3c-0000-4000-8000-000000000003';
      fake.principals.add(principal);
      const provider = createAzureProvider({ env: { [SECRET_ENV]: fake.entra.clientSecret }, trustedCa: fake.ca, retryDelayMs: 1, now: () => new Date(now) });
      const config = {
        type: 'azure', mode: 'pim-schedule', scope: `/subscriptions/${fake.subscriptionId}`, roleDefinitionId: READER_ROLE,
        tenantId: fake.entra.tenantId, clientId: fake.entra.clientId, clientSecret: `env:${SECRET_ENV}`, endpoint: fake.url, authorityHost: fake.url, audience: 'https://management.azure.com',
      };
      const handle = await provider.grant(config, { requestId: 'r-expiry', resourceId: 'sub-reader', principalId: 'alice', account: principal, expiresAt: new Date(now + 600_000) });
      expect(await provider.check(config, handle)).toBe('present');
      now += 601_000;
      expect(await provider.check(config, handle)).toBe('absent');
    } finally {
      await fake.close();
    }
  });
});
