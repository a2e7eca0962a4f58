/** The contract fake refuses what GCP refuses: a provider that got the contract wrong would see these answers. */
import { sign } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JWT } from 'google-auth-library';
import { ALICE, PROJECT, ROLE, openGcpTarget, type GcpTarget } from './gcp-target.ts';
import { generateServiceAccountKey } from '../../fakes/gcp-token.ts';

const CONDITION = { title: 'stint-X', expression: 'request.time < timestamp("2040-01-01T00:00:00Z")' };

describe('gcp contract fake', () => {
  let t: GcpTarget;
  let token: string;
  beforeAll(async () => {
    t = await openGcpTarget();
    const key = JSON.parse(t.key.json) as { client_email: string; private_key: string };
    // The library's own JWT flow, pointed at the fake the way the provider does it (aud = token_uri).
    const jwt = new JWT({ email: key.client_email, key: key.private_key, scopes: ['https://www.googleapis.com/auth/cloud-platform'], additionalClaims: { aud: t.fake.tokenUrl } });
    jwt.transporter.interceptors.request.add({ resolved: async (o) => ((o.url = new URL(t.fake.tokenUrl)), o) });
    token = (await jwt.getAccessToken()).token!;
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => t.fake.seed(PROJECT));

  const call = async (verb: string, body: unknown, auth = `Bearer ${token}`) => {
    const response = await fetch(`${t.fake.url}/v3/${PROJECT}:${verb}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const read = () => call('getIamPolicy', { options: { requestedPolicyVersion: 3 } });

  it('requires a bearer token it issued (401 UNAUTHENTICATED in Google’s error format)', async () => {
    const answer = await call('getIamPolicy', {}, 'Bearer ya29.made-up');
    expect(answer).toEqual({ status: 401, body: { error: { code: 401, message: expect.any(String), status: 'UNAUTHENTICATED' } } });
  });

  it('refuses a version-1 read of a policy with conditions', async () => {
    t.fake.seed(PROJECT, [{ role: ROLE, members: [ALICE], condition: CONDITION }]);
    expect((await call('getIamPolicy', {})).status).toBe(400);
    expect((await call('getIamPolicy', { options: { requestedPolicyVersion: 1 } })).status).toBe(400);
    expect((await read()).body).toMatchObject({ version: 3, bindings: [{ role: ROLE }] });
  });

  it('answers a stale etag with 409 ABORTED and a write without an etag with 400', async () => {
    const { etag } = (await read()).body;
    const binding = { role: ROLE, members: [ALICE] };
    expect((await call('setIamPolicy', { policy: { bindings: [binding], etag } })).status).toBe(200);
    const stale = await call('setIamPolicy', { policy: { bindings: [], etag } });
    expect(stale.body.error).toMatchObject({ code: 409, status: 'ABORTED' });
    expect((await call('setIamPolicy', { policy: { bindings: [] } })).status).toBe(400);
  });

  it('refuses conditions on basic roles and conditions without version 3', async () => {
    const { etag } = (await read()).body;
    const owner = await call('setIamPolicy', { policy: { version: 3, etag, bindings: [{ role: 'roles/owner', members: [ALICE], condition: CONDITION }] } });
    expect(owner.body.error).toMatchObject({ code: 400, status: 'INVALID_ARGUMENT' });
    const v1 = await call('setIamPolicy', { policy: { version: 1, etag, bindings: [{ role: ROLE, members: [ALICE], condition: CONDITION }] } });
    expect(v1.body.error.message).toMatch(/version 3/);
  });

  it('refuses malformed members, empty bindings and duplicate conditional bindings', async () => {
    const { etag } = (await read()).body;
    for (const bindings of [
      [{ role: ROLE, members: ['alice@example.com'] }],
      [{ role: ROLE, members: [] }],
      [{ role: ROLE, members: [ALICE], condition: CONDITION }, { role: ROLE, members: ['user:bob@example.com'], condition: CONDITION }],
    ]) {
      expect((await call('setIamPolicy', { policy: { version: 3, etag, bindings } })).status).toBe(400);
    }
  });

  it('answers 403 PERMISSION_DENIED for a resource it does not know', async () => {
    const response = await fetch(`${t.fake.url}/v3/projects/nope-nope:getIamPolicy`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(403);
  });

  it('refuses an assertion signed by a key it does not trust, or for another audience', async () => {
    const post = (assertion: string) =>
      fetch(t.fake.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }) });
    const impostor = generateServiceAccountKey(t.key.clientEmail, t.fake.tokenUrl);
    const { private_key } = JSON.parse(impostor.json) as { private_key: string };
    const signed = (key: string, aud: string) => {
      const now = Math.floor(Date.now() / 1000);
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const input = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iss: t.key.clientEmail, scope: 'https://www.googleapis.com/auth/cloud-platform', aud, iat: now, exp: now + 3600 })}`;
      return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
    };
    expect(await (await post(signed(private_key, t.fake.tokenUrl))).json()).toMatchObject({ error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
    const own = (JSON.parse(t.key.json) as { private_key: string }).private_key;
    expect((await post(signed(own, 'https://oauth2.googleapis.com/token'))).status).toBe(400);
    expect((await post(signed(own, t.fake.tokenUrl))).status).toBe(200);
  });
});
