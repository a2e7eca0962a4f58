/** Ticket checks over REST (issue 12): a workflow with ticket: asks Jira / ServiceNow before anything is created. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildRequestCard } from '../../src/notify/request-view.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { apiHarness, type ApiHarness } from '../support/api-harness.ts';
import { startFakeJira, type FakeJira } from '../fakes/jira-api.ts';
import { startFakeServiceNow, type FakeServiceNow } from '../fakes/servicenow-api.ts';
import { ticketPolicyYaml } from '../support/ticket-fixture.ts';

const BASE = '/api/v1/credentials/jit';
let jira: FakeJira;
let sn: FakeServiceNow;
let h: ApiHarness;

beforeAll(async () => {
  jira = await startFakeJira();
  sn = await startFakeServiceNow();
  h = await apiHarness({
    policy: parsePolicy(ticketPolicyYaml(jira.url, sn.url), 'tickets.yaml'),
    people: ['alice', 'carol', 'erin'],
    env: { JIRA_EMAIL: jira.email, JIRA_TOKEN: jira.token, SN_USER: sn.user, SN_PASSWORD: sn.password },
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await jira?.close();
  await sn?.close();
});
beforeEach(() => {
  jira.reset();
  jira.issues.set('INC-1234', { summary: 'Orders stuck in PENDING', status: 'In Progress' });
  jira.issues.set('INC-77', { summary: 'Old outage', status: 'Done' });
});

const count = async () => (await h.call('alice', 'GET', '/api/v1/requests?view=mine')).body.requests.length as number;

describe('creating a request in a workflow that checks Jira tickets', () => {
  it('refuses a request without a ticket with TICKET_INVALID, saying where to put one', async () => {
    const res = await h.call('alice', 'POST', BASE, { reason: 'stuck orders', scopes: ['orders-api'], duration: '30m' });
    expect([res.status, res.body.error.code]).toEqual([422, 'TICKET_INVALID']);
    expect(res.body.error.message).toBe('this workflow needs a ticket key (e.g. INC-1234) as the first word of the reason or in `ticket`');
  });

  it('refuses an unknown ticket naming the key and the system', async () => {
    const before = await count();
    const res = await h.call('alice', 'POST', BASE, { reason: 'INC-9999 stuck orders', scopes: ['orders-api'], duration: '30m' });
    expect([res.status, res.body.error.code]).toEqual([422, 'TICKET_INVALID']);
    expect(res.body.error.message).toContain('INC-9999 does not exist in Jira');
    expect(await count()).toBe(before);
  });

  it('refuses a ticket in a state the workflow does not accept, naming the state and the allowed ones', async () => {
    const res = await h.call('alice', 'POST', BASE, { reason: 'look at it again', ticket: 'INC-77', scopes: ['orders-api'], duration: '30m' });
    expect([res.status, res.body.error.code]).toEqual([422, 'TICKET_INVALID']);
    expect(res.body.error.message).toContain('"Done"');
    expect(res.body.error.message).toContain('In Progress, Selected for Development');
  });

  it('accepts a ticket in an allowed state (any case), with its title on the view, the card and the audit event', async () => {
    jira.issues.set('INC-1234', { summary: 'Orders stuck in PENDING', status: 'in progress' });
    const res = await h.call('alice', 'POST', BASE, { reason: 'INC-1234 stuck orders', scopes: ['orders-api'], duration: '30m' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect([res.body.ticket, res.body.ticketTitle]).toEqual(['INC-1234', 'Orders stuck in PENDING']);
    const request = (await h.app.store.getRequest(res.body.id))!;
    expect(request.ticketTitle).toBe('Orders stuck in PENDING');
    expect(buildRequestCard(request, [], h.app.policy.current(), h.clock.now()).facts).toContainEqual({ label: 'Ticket', value: 'INC-1234 — Orders stuck in PENDING' });
    const [event] = (await h.app.store.readAudit(0n, 10_000)).filter((e) => e.requestId === request.id && e.action === 'request.created');
    expect(event?.data).toMatchObject({ ticket: 'INC-1234', ticketTitle: 'Orders stuck in PENDING' });
    expect((await h.call('alice', 'GET', `${BASE}/${request.id}`)).body.ticketTitle).toBe('Orders stuck in PENDING');
  });

  it('answers 503 UNAVAILABLE and creates nothing when Jira does not answer', async () => {
    const before = await count();
    jira.throttle('/rest/api/3/issue', 1, { status: 503 });
    const res = await h.call('alice', 'POST', BASE, { reason: 'INC-1234 stuck orders', scopes: ['orders-api'], duration: '30m' });
    expect([res.status, res.body.error.code]).toEqual([503, 'UNAVAILABLE']);
    expect(res.body.error.message).toContain('Jira');
    expect(res.body.error.message).not.toContain(jira.token);
    expect(await count()).toBe(before);
  });

  it('lets break-glass through without a ticket and without asking Jira', async () => {
    const res = await h.call('alice', 'POST', BASE, { reason: 'orders are down and nobody answers the phone', scopes: ['orders-api'], duration: '30m', breakGlass: true });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.ticketTitle).toBeNull();
    expect(jira.calls).toHaveLength(0);
  });

  it('leaves workflows without ticket: alone (no call, no title)', async () => {
    const res = await h.call('alice', 'POST', BASE, { reason: 'INC-9999 unrelated', scopes: ['plain-api'], duration: '30m' });
    expect(res.status).toBe(201);
    expect(res.body.ticketTitle).toBeNull();
    expect(jira.calls).toHaveLength(0);
  });
});

describe('creating a request in a workflow that checks ServiceNow tickets (required: false)', () => {
  beforeEach(() => {
    sn.reset();
    sn.records.set('INC0012345', { shortDescription: 'Checkout errors', state: 'In Progress' });
  });

  it('accepts no ticket at all without asking ServiceNow', async () => {
    const res = await h.call('alice', 'POST', BASE, { reason: 'checking invoices', scopes: ['billing-api'], duration: '30m' });
    expect([res.status, res.body.ticketTitle]).toEqual([201, null]);
    expect(sn.calls).toHaveLength(0);
  });

  it('checks a given ticket and records its title', async () => {
    const res = await h.call('alice', 'POST', BASE, { reason: 'checkout errors', ticket: 'INC0012345', scopes: ['billing-api'], duration: '30m' });
    expect([res.status, res.body.ticketTitle]).toEqual([201, 'Checkout errors']);
  });

  it('refuses a given ticket ServiceNow does not have', async () => {
    const res = await h.call('alice', 'POST', BASE, { reason: 'checkout errors', ticket: 'INC0099999', scopes: ['billing-api'], duration: '30m' });
    expect([res.status, res.body.error.code]).toEqual([422, 'TICKET_INVALID']);
    expect(res.body.error.message).toContain('INC0099999 does not exist in ServiceNow');
  });
});
