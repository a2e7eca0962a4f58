/**
 * Step-up by OIDC re-login over REST (issue 12): STEP_UP_REQUIRED carries a link; the browser flow through a local
 * OpenID Provider (PKCE, nonce, prompt=login) confirms it; the retried action uses the confirmation once.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { base32Decode, totpCode, totpStep } from '../../src/core/totp.ts';
import { FakeOidcIssuer } from '../fakes/oidc-issuer.ts';
import { apiHarness, type ApiHarness } from '../support/api-harness.ts';
import { followReLoginLink } from '../support/oidc-browser.ts';
import { POLICY_YAML, testPolicy } from '../support/policy-fixture.ts';

const BASE = '/api/v1/credentials/jit';
const PUBLIC = 'https://stint.example.test';
const YAML = POLICY_YAML.replace('    approvalWindow: 30m\n', '    approvalWindow: 30m\n    stepUp: { requester: true, approvers: { riskAtLeast: 0 } }\n');
const create = { reason: 'INC-1 stuck orders', scopes: ['prod-orders-db'], duration: '1h' };
let h: ApiHarness;
let idp: FakeOidcIssuer;

beforeAll(async () => {
  idp = await new FakeOidcIssuer({ clientId: 'stint', clientSecret: 'oidc-client-secret', redirectUri: `${PUBLIC}/auth/oidc/callback`, clock: () => h.clock.now() }).start();
  h = await apiHarness({
    policy: testPolicy(YAML),
    people: ['alice', 'bob', 'carol', 'dave'],
    env: {
      STINT_PUBLIC_URL: PUBLIC,
      STINT_OIDC_ISSUER: idp.url,
      STINT_OIDC_CLIENT_ID: 'stint',
      STINT_OIDC_CLIENT_SECRET: 'oidc-client-secret',
      STINT_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
    },
  });
}, 60_000);
afterAll(async () => {
  await h?.close();
  await idp?.stop();
});
beforeEach(() => {
  Object.assign(idp, { signInAs: 'alice@example.com', rememberedSessionAt: null, cancel: false, omitEmail: false, signWithForeignKey: false });
});

/** The person opens the link, signs in at the provider, and the provider sends the browser back to Stint. */
async function followLink(url: string, browser: { cookie?: string } = {}) {
  expect(url.startsWith(`${PUBLIC}/auth/step-up/`)).toBe(true);
  return followReLoginLink(h.app, url, browser);
}

async function askedLink(who: string, path = BASE, body: unknown = create): Promise<string> {
  const res = await h.call(who, 'POST', path, body);
  expect([res.status, res.body.error.code]).toEqual([403, 'STEP_UP_REQUIRED']);
  return res.body.error.details.url;
}

describe('step-up by OIDC re-login', () => {
  it('answers a request without a factor with a sign-in link, and the same link when asked again', async () => {
    const res = await h.call('alice', 'POST', BASE, create);
    expect([res.status, res.body.error.code]).toEqual([403, 'STEP_UP_REQUIRED']);
    expect(res.body.error.details).toMatchObject({ enrolled: false, methods: ['oidc'], url: expect.stringMatching(/^https:\/\/stint\.example\.test\/auth\/step-up\/[A-Za-z0-9_-]{24}$/) });
    expect(res.body.error.message).toContain(`sign in again at ${res.body.error.details.url}`);
    expect(await askedLink('alice')).toBe(res.body.error.details.url);
  });

  it('sends the browser to the provider with prompt=login, max_age=0, PKCE S256, a nonce and the challenge as state', async () => {
    const url = await askedLink('alice');
    const { start, callback, setCookie } = await followLink(url);
    const sent = idp.authorizeRequests.at(-1)!;
    expect(Object.fromEntries(sent)).toMatchObject({ client_id: 'stint', response_type: 'code', prompt: 'login', max_age: '0', code_challenge_method: 'S256', login_hint: 'alice@example.com', state: url.split('/').pop() });
    expect(sent.get('nonce')).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(setCookie).toMatch(/; Path=\/auth\/oidc\/callback; Max-Age=\d+; HttpOnly; SameSite=Lax; Secure$/);
    expect(start.headers['cache-control']).toBe('no-store');
    expect(callback!.statusCode).toBe(200);
    expect(callback!.headers['content-type']).toMatch(/^text\/html/);
    expect(callback!.body).toContain('You signed in again for the request on prod-orders-db');
    // The client authenticated with its secret, and PKCE was checked by the provider.
    expect(idp.tokenRequests.at(-1)).toMatchObject({ status: 200, authorization: expect.stringMatching(/^Basic /) });
  });

  it('creates the request on the retry after the re-login, records the method, and uses the confirmation once', async () => {
    const created = await h.call('alice', 'POST', BASE, create);
    expect([created.status, created.body.status]).toEqual([201, 'PENDING']);
    const events = await h.app.store.readAudit(0n, 10_000);
    expect(events.find((e) => e.action === 'request.created' && e.requestId === created.body.id)?.data).toMatchObject({ stepUp: 'oidc' });
    expect(events.some((e) => e.action === 'mfa.reauthenticated' && e.actor === 'alice')).toBe(true);
    const again = await h.call('alice', 'POST', BASE, create);
    expect([again.status, again.body.error.code]).toEqual([403, 'STEP_UP_REQUIRED']);
  });

  it('lets the CLI wait on its own link only', async () => {
    const url = await askedLink('alice');
    const id = url.split('/').pop()!;
    expect((await h.call('alice', 'GET', `/api/v1/mfa/step-up/${id}`)).body).toMatchObject({ id, status: 'waiting', purpose: 'request on prod-orders-db' });
    expect((await h.call('bob', 'GET', `/api/v1/mfa/step-up/${id}`)).status).toBe(404);
    await followLink(url);
    expect((await h.call('alice', 'GET', `/api/v1/mfa/step-up/${id}`)).body.status).toBe('confirmed');
    expect((await h.call('alice', 'POST', BASE, create)).status).toBe(201);
    expect((await h.call('alice', 'GET', `/api/v1/mfa/step-up/${id}`)).body.status).toBe('used');
  });

  it('refuses a sign-in as someone else, audits it, and leaves the link unconfirmed', async () => {
    const url = await askedLink('alice');
    idp.signInAs = 'mallory@example.com';
    const { callback } = await followLink(url);
    expect(callback!.statusCode).toBe(403);
    expect(callback!.body).toContain('You signed in as mallory@example.com, but this link is for alice@example.com');
    const failed = (await h.app.store.readAudit(0n, 10_000)).filter((e) => e.action === 'mfa.failed' && e.actor === 'alice');
    expect(failed.at(-1)?.data).toMatchObject({ method: 'oidc', reason: 'other identity', signedInAs: 'mallory@example.com' });
    expect((await h.call('alice', 'POST', BASE, create)).body.error.code).toBe('STEP_UP_REQUIRED');
  });

  it('refuses a provider that reused an old session instead of asking again (auth_time before the link)', async () => {
    const url = await askedLink('alice');
    idp.rememberedSessionAt = Math.floor(h.clock.now().getTime() / 1000) - 3600;
    const { callback } = await followLink(url);
    expect(callback!.statusCode).toBe(403);
    expect(callback!.body).toContain('did not ask you to sign in again');
    expect((await h.call('alice', 'POST', BASE, create)).body.error.code).toBe('STEP_UP_REQUIRED');
  });

  it('refuses an ID token signed with a key the provider does not publish', async () => {
    const url = await askedLink('alice');
    idp.signWithForeignKey = true;
    const { callback } = await followLink(url);
    expect(callback!.statusCode).toBe(403);
    expect(callback!.body).toContain('could not be verified');
    expect((await h.call('alice', 'POST', BASE, create)).body.error.code).toBe('STEP_UP_REQUIRED');
  });

  it('refuses a callback in a browser that did not start the flow, and a tampered state', async () => {
    const url = await askedLink('alice');
    const other = await followLink(url, { cookie: 'unrelated=1' });
    expect(other.callback!.statusCode).toBe(400);
    expect(other.callback!.body).toContain('did not start in this browser');
    const tampered = await h.app.server.inject({ method: 'GET', url: '/auth/oidc/callback?code=abc&state=AAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(tampered.statusCode).toBe(404);
    expect((await h.call('alice', 'POST', BASE, create)).body.error.code).toBe('STEP_UP_REQUIRED');
  });

  it('says so when the person cancels at the provider, or the provider omits the claim that names them', async () => {
    const url = await askedLink('alice');
    idp.cancel = true;
    const cancelled = await followLink(url);
    expect([cancelled.callback!.statusCode, cancelled.callback!.body.includes('did not sign you in (access_denied')]).toEqual([403, true]);
    idp.cancel = false;
    idp.omitEmail = true;
    const unnamed = await followLink(url);
    expect(unnamed.callback!.body).toContain('has no email claim');
  });

  it('serves an approver of a risky request the same way, and still takes a TOTP code from someone enrolled', async () => {
    // carol enrols an authenticator: she is offered both.
    const started = await h.call('carol', 'POST', '/api/v1/mfa/totp');
    const seed = base32Decode(started.body.secret);
    expect((await h.call('carol', 'POST', '/api/v1/mfa/totp/confirm', { code: totpCode(seed, totpStep(h.clock.now())) })).status).toBe(200);
    h.clock.advance(30_000);
    await followLink(await askedLink('alice'));
    const created = await h.call('alice', 'POST', BASE, create);
    const asked = await h.call('carol', 'POST', `${BASE}/${created.body.id}/approve`, {});
    expect(asked.body.error.details).toMatchObject({ enrolled: true, methods: ['totp', 'oidc'] });
    expect(asked.body.error.message).toMatch(/give the 6-digit code .* or sign in again at/);
    const byCode = await h.call('carol', 'POST', `${BASE}/${created.body.id}/approve`, { mfaCode: totpCode(seed, totpStep(h.clock.now())) });
    expect(byCode.status).toBe(200);

    const url = await askedLink('dave', `${BASE}/${created.body.id}/approve`, {});
    idp.signInAs = 'dave@example.com';
    await followLink(url);
    const approved = await h.call('dave', 'POST', `${BASE}/${created.body.id}/approve`, {});
    expect([approved.status, approved.body.status]).toEqual([200, 'APPROVED']);
    const events = await h.app.store.readAudit(0n, 10_000);
    expect(events.find((e) => e.action === 'decision.approved' && e.actor === 'dave')?.data).toMatchObject({ stepUp: 'oidc' });
  });

  it('expires a link after 10 minutes and a confirmation after 5', async () => {
    const url = await askedLink('alice');
    h.clock.advance(11 * 60_000);
    const expired = await followLink(url);
    expect(expired.start.statusCode).toBe(409);
    expect(expired.start.body).toContain('has expired');
    const fresh = await askedLink('alice');
    expect(fresh).not.toBe(url);
    await followLink(fresh);
    h.clock.advance(6 * 60_000);
    expect((await h.call('alice', 'POST', BASE, create)).body.error.code).toBe('STEP_UP_REQUIRED');
  });
});
