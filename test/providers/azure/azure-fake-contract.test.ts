import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAzureProvider } from '../../../src/providers/azure/azure-provider.ts';
import { SECRET_ENV, openAzureTarget, type AzureTarget } from './azure-target.ts';

/** The fake refuses what ARM refuses: a test that sends a malformed call sees a 4xx, not a silent success. */
describe('azure fake contract', () => {
  let t: AzureTarget;
  beforeAll(async () => {
    t = await openAzureTarget();
  });
  afterAll(async () => {
    await t?.close();
  });

  function send(method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const req = request(`${t.fake.url}${path}`, { method, ca: t.fake.ca, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }
  const assignmentPath = (name = '0a0a0a0a-0000-4000-8000-000000000001') => `${t.scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
  const token = async () => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: t.fake.entra.clientId, client_secret: t.fake.entra.clientSecret, scope: 'https://management.azure.com/.default' });
    return new Promise<string>((resolve, reject) => {
      const req = request(`${t.fake.url}/${t.fake.entra.tenantId}/oauth2/v2.0/token`, { method: 'POST', ca: t.fake.ca, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (r) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString()));
        r.on('end', () => resolve(JSON.parse(text).access_token as string));
      });
      req.on('error', reject);
      req.end(form.toString());
    });
  };

  it('refuses ARM calls without a bearer token it issued', async () => {
    expect((await send('GET', `${assignmentPath()}?api-version=2022-04-01`)).body.error.code).toBe('AuthenticationFailed');
    expect((await send('GET', `${assignmentPath()}?api-version=2022-04-01`, { authorization: 'Bearer forged' })).status).toBe(401);
  });

  it('refuses a missing or wrong api-version, a non-GUID name and a malformed body', async () => {
    const auth = { authorization: `Bearer ${await token()}` };
    expect((await send('GET', assignmentPath(), auth)).body.error.code).toBe('MissingApiVersionParameter');
    expect((await send('GET', `${assignmentPath()}?api-version=2015-07-01`, auth)).body.error.code).toBe('InvalidApiVersionParameter');
    expect((await send('PUT', `${assignmentPath('stint-alice')}?api-version=2022-04-01`, auth, {})).status).toBe(400);
    const bad = await send('PUT', `${assignmentPath()}?api-version=2022-04-01`, auth, { properties: { principalId: 'alice', roleDefinitionId: 'Reader' } });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'InvalidPrincipalId' } } });
  });

  it('refuses a schedule request whose end is not after its start', async () => {
    const auth = { authorization: `Bearer ${await token()}` };
    const principalId = t.newPrincipal();
    const path = `${t.scope}/providers/Microsoft.Authorization/roleAssignmentScheduleRequests/0b0b0b0b-0000-4000-8000-000000000002?api-version=2020-10-01`;
    const now = new Date().toISOString();
    const res = await send('PUT', path, auth, {
      properties: { requestType: 'AdminAssign', principalId, roleDefinitionId: `/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7`, scheduleInfo: { startDateTime: now, expiration: { type: 'AfterDateTime', endDateTime: now } } },
    });
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'InvalidScheduleInfo' } } });
  });

  it('reports a throttled token request as UNAVAILABLE (Stint retries later), never as a credential to fix', async () => {
    // MSAL keeps Entra's throttle window itself (60 s without a readable Retry-After) and answers from it, so the
    // provider's own quick retries cannot succeed: the grant job's retry does.
    const fresh = createAzureProvider({ env: { [SECRET_ENV]: t.fake.entra.clientSecret }, trustedCa: t.fake.ca, retryDelayMs: 1, maxRetryDelayMs: 5 });
    t.fake.reset();
    t.fake.throttle(1, { path: 'token', retryAfterSec: 1 });
    const error = await fresh.grant(t.config('assignment', { maxAttempts: 2 }), t.target(t.newPrincipal())).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('Entra ID could not issue Stint a token') });
    expect(t.fake.calls.filter((c) => c.method === 'PUT')).toEqual([]);
  });
});
