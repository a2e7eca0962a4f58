/**
 * A local OpenID Provider for the re-login step-up (issue 12), enforcing the parts of the contract Stint relies on:
 * discovery, an authorization endpoint that only redirects to the registered redirect URI and insists on
 * `response_type=code`, `openid` scope, state, nonce and PKCE S256; a token endpoint that authenticates the client
 * (HTTP Basic), redeems each code once, for the same redirect URI, only with the right `code_verifier`; RS256 ID
 * tokens with `auth_time` from the key set at `jwks_uri`. The person "signing in" is set by the test (`signInAs`),
 * and knobs make it misbehave the ways real providers do (ignore `prompt=login`, omit a claim, sign with another key).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OidcIssuerOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** The provider's clock for `auth_time` (a test's fixed clock); `iat`/`exp` stay on real time for the client's checks. */
  clock?: () => Date;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string;
  email: string;
  authTime: number;
  used: boolean;
}

export class FakeOidcIssuer {
  url = '';
  /** Who signs in at the next authorization (the test plays the person at the login page). */
  signInAs = 'alice@example.com';
  /** Pretend `prompt=login` was ignored: auth_time is this old session's time (epoch seconds). */
  rememberedSessionAt: number | null = null;
  /** The person clicks "Cancel" at the login page. */
  cancel = false;
  /** Leave `email` out of the ID token. */
  omitEmail = false;
  /** Sign ID tokens with a key that is not in the key set. */
  signWithForeignKey = false;
  readonly authorizeRequests: URLSearchParams[] = [];
  readonly tokenRequests: Array<{ authorization: string | undefined; body: URLSearchParams; status: number }> = [];

  private server: Server | null = null;
  private readonly key = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  private readonly codes = new Map<string, PendingCode>();

  constructor(private readonly options: OidcIssuerOptions) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        ({ status, headers, body }) => {
          res.writeHead(status, headers);
          res.end(body);
        },
        (err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(err.message);
        },
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const url = new URL(req.url ?? '/', this.url);
    const json = (status: number, body: unknown) => ({ status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(body) });
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer: this.url,
        authorization_endpoint: `${this.url}/authorize`,
        token_endpoint: `${this.url}/token`,
        jwks_uri: `${this.url}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        claims_supported: ['sub', 'email', 'auth_time', 'nonce'],
      });
    }
    if (req.method === 'GET' && url.pathname === '/jwks') {
      return json(200, { keys: [{ ...this.key.publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' }] });
    }
    if (req.method === 'GET' && url.pathname === '/authorize') return this.authorize(url.searchParams);
    if (req.method === 'POST' && url.pathname === '/token') return this.token(req, json);
    return json(404, { error: 'not_found' });
  }

  private authorize(q: URLSearchParams) {
    this.authorizeRequests.push(q);
    const page = (status: number, text: string) => ({ status, headers: { 'content-type': 'text/plain' }, body: text });
    // Never redirect to an address that is not registered (an open redirector); say so to the person instead.
    if (q.get('client_id') !== this.options.clientId) return page(400, 'unknown client_id');
    if (q.get('redirect_uri') !== this.options.redirectUri) return page(400, `redirect_uri ${q.get('redirect_uri')} is not registered`);
    const back = (params: Record<string, string>) => {
      const to = new URL(this.options.redirectUri);
      for (const [k, v] of Object.entries(params)) to.searchParams.set(k, v);
      to.searchParams.set('iss', this.url);
      return { status: 302, headers: { location: to.href }, body: '' };
    };
    const state = q.get('state') ?? '';
    const fail = (error: string, description: string) => back({ error, error_description: description, ...(state && { state }) });
    if (q.get('response_type') !== 'code') return fail('unsupported_response_type', 'only code');
    if (!(q.get('scope') ?? '').split(' ').includes('openid')) return fail('invalid_scope', 'openid is required');
    if (!state || !q.get('nonce')) return fail('invalid_request', 'state and nonce are required');
    if (q.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(q.get('code_challenge') ?? '')) return fail('invalid_request', 'PKCE S256 is required');
    if (this.cancel) return fail('access_denied', 'The user cancelled the sign-in');
    const now = Math.floor((this.options.clock?.() ?? new Date()).getTime() / 1000);
    const forced = q.get('prompt') === 'login' || q.get('max_age') === '0';
    const authTime = forced && this.rememberedSessionAt === null ? now : (this.rememberedSessionAt ?? now - 3600);
    const code = randomBytes(24).toString('base64url');
    this.codes.set(code, { clientId: this.options.clientId, redirectUri: q.get('redirect_uri')!, challenge: q.get('code_challenge')!, nonce: q.get('nonce')!, email: this.signInAs, authTime, used: false });
    return back({ code, state });
  }

  private async token(req: IncomingMessage, json: (status: number, body: unknown) => { status: number; headers: Record<string, string>; body: string }) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const authorization = req.headers.authorization;
    const answer = (status: number, payload: unknown) => {
      this.tokenRequests.push({ authorization, body, status });
      return json(status, payload);
    };
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return answer(400, { error: 'invalid_request', error_description: 'form body expected' });
    const basic = /^Basic (.+)$/.exec(authorization ?? '');
    const [id, secret] = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':').map(decodeURIComponent) : [];
    if (id !== this.options.clientId || secret !== this.options.clientSecret) return answer(401, { error: 'invalid_client' });
    if (body.get('grant_type') !== 'authorization_code') return answer(400, { error: 'unsupported_grant_type' });
    const pending = this.codes.get(body.get('code') ?? '');
    if (!pending || pending.used) return answer(400, { error: 'invalid_grant', error_description: 'unknown or used code' });
    pending.used = true;
    if (body.get('redirect_uri') !== pending.redirectUri) return answer(400, { error: 'invalid_grant', error_description: 'redirect_uri differs' });
    const verifier = body.get('code_verifier') ?? '';
    if (createHash('sha256').update(verifier).digest('base64url') !== pending.challenge) return answer(400, { error: 'invalid_grant', error_description: 'PKCE verification failed' });
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: this.url,
      sub: `sub-${pending.email}`,
      aud: this.options.clientId,
      iat: now,
      exp: now + 300,
      nonce: pending.nonce,
      auth_time: pending.authTime,
      ...(this.omitEmail ? {} : { email: pending.email }),
    };
    return answer(200, { access_token: randomBytes(16).toString('hex'), token_type: 'Bearer', expires_in: 300, id_token: this.jwt(claims) });
  }

  private jwt(claims: Record<string, unknown>): string {
    const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const input = `${part({ alg: 'RS256', typ: 'JWT', kid: 'k1' })}.${part(claims)}`;
    const key: KeyObject = this.signWithForeignKey ? this.foreignKey : this.key.privateKey;
    return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
  }
}
