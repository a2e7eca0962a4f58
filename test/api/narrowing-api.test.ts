/** Narrowed requests over REST (issue 12): accepted where the provider can express them, shown exactly, refused elsewhere. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrantPorts } from '../../src/core/ports.ts';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { buildRequestCard } from '../../src/notify/request-view.ts';
import { grantApiHarness, type GrantApiHarness } from '../support/grant-api-harness.ts';

let h: GrantApiHarness;
const BASE = '/api/v1/credentials/jit';

beforeAll(async () => {
  h = await grantApiHarness();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('a narrowed request', () => {
  it('records the exact scope, shows it to approvers, audits it and hands it to the provider', async () => {
    const created = await h.call('alice', 'POST', BASE, { reason: 'INC-1 stuck', scopes: ['orders-db'], duration: '30m', narrowing: 'select on orders.shipments' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.narrowing).toBe('SELECT on orders.shipments');
    const request = (await h.app.store.getRequest(created.body.id))!;
    expect(buildRequestCard(request, [], h.app.policy.current(), h.clock.now()).facts).toContainEqual({ label: 'Narrowed to', value: 'SELECT on orders.shipments' });
    const [event] = (await h.app.store.readAudit(0n, 10_000)).filter((e) => e.requestId === request.id && e.action === 'request.created');
    expect(event?.data).toMatchObject({ narrowing: 'SELECT on orders.shipments' });

    let seen: unknown;
    const grant = h.provider.grant.bind(h.provider);
    h.provider.grant = async (config, target) => ((seen = target.narrowing), grant(config, target));
    expect((await h.call('carol', 'POST', `${BASE}/${request.id}/approve`, {})).body.status).toBe('APPROVED');
    const ports: GrantPorts = { ...h.app.core, providers: h.app.providers };
    expect((await activateGrant(request.id, ports)).status).toBe('ACTIVE');
    expect(seen).toEqual([{ table: 'orders.shipments', privileges: ['SELECT'] }]);
  });

  it('is refused for a resource whose provider cannot narrow (a role membership), naming it; nothing is created', async () => {
    const before = (await h.call('alice', 'GET', '/api/v1/requests?view=mine')).body.requests.length;
    const refused = await h.call('alice', 'POST', BASE, { reason: 'INC-2', scopes: ['reports-db'], duration: '30m', narrowing: 'SELECT on reports.daily' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'INVALID_BODY', details: { field: 'narrowing', scopes: ['reports-db'] } });
    expect(refused.body.error.message).toMatch(/^reports-db cannot be narrowed/);
    expect((await h.call('alice', 'GET', '/api/v1/requests?view=mine')).body.requests.length).toBe(before);
  });

  it('is refused when it does not parse, with the form to use', async () => {
    const refused = await h.call('alice', 'POST', BASE, { reason: 'INC-3', scopes: ['orders-db'], duration: '30m', narrowing: 'everything please' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain('Write it as "SELECT on orders.shipments');
  });
});
