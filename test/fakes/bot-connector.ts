/**
 * A local stand-in for the Bot Framework side of Teams: the OpenID metadata + JWKS the bot checks inbound
 * tokens against, a signer that issues channel tokens (RS256, `kid` set, `iss`/`aud`/`serviceurl`, no `ver`),
 * a client-credentials token endpoint for the bot's outbound calls, and the Bot Connector REST calls the bot
 * makes (send, reply, update), recorded, and refused without a bearer token this fake issued.
 */
import { createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConnectorCall {
  method: string;
  path: string;
  conversationId: string;
  activityId?: string;
  body: Record<string, any>;
}

export interface FakeBotConnector {
  /** http://127.0.0.1:port — the activities' serviceUrl and the base of every endpoint below. */
  url: string;
  openIdMetadataUrl: string;
  loginUrl: string;
  issuer: string;
  calls: ConnectorCall[];
  /** A channel token for `serviceUrl` (defaults: this fake's url, the app id, valid for an hour). */
  channelToken(options?: { audience?: string; serviceUrl?: string; expiresInS?: number; signWith?: 'own' | 'other-key-same-kid' | 'other-kid' }): string;
  waitForCall(predicate: (c: ConnectorCall) => boolean, timeoutMs?: number): Promise<ConnectorCall>;
  close(): Promise<void>;
}

const KID = 'stint-test-key';

function sign(claims: Record<string, unknown>, key: KeyObject, kid: string): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64(claims)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(key).toString('base64url')}`;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeBotConnector(options: { appId: string; appPassword: string }): Promise<FakeBotConnector> {
  const own = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const issued = new Set<string>();
  const calls: ConnectorCall[] = [];
  const waiters: Array<() => void> = [];
  let base = '';

  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const body = await readBody(req);
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.method === 'GET' && path === '/openid/.well-known/openidconfiguration') {
        return json(200, { issuer: base, jwks_uri: `${base}/openid/keys`, id_token_signing_alg_values_supported: ['RS256'], token_endpoint_auth_methods_supported: ['private_key_jwt'] });
      }
      if (req.method === 'GET' && path === '/openid/keys') {
        // endorsements: botbuilder checks the channel id against them when present; absent means any channel.
        return json(200, { keys: [{ ...own.publicKey.export({ format: 'jwk' }), kid: KID, kty: 'RSA', use: 'sig', alg: 'RS256' }] });
      }
      if (req.method === 'POST' && path === '/oauth2/token') {
        const form = new URLSearchParams(body);
        if (form.get('grant_type') !== 'client_credentials' || form.get('client_id') !== options.appId || form.get('client_secret') !== options.appPassword) {
          return json(401, { error: 'invalid_client' });
        }
        const token = `fake-bot-token-${randomBytes(12).toString('hex')}`;
        issued.add(token);
        return json(200, { token_type: 'Bearer', expires_in: 3600, access_token: token });
      }
      const m = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(path);
      if (m && (req.method === 'POST' || req.method === 'PUT')) {
        const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
        if (!bearer || !issued.has(bearer)) return json(401, { error: { code: 'Unauthorized', message: 'no valid bearer token' } });
        const call: ConnectorCall = { method: req.method, path, conversationId: decodeURIComponent(m[1]!), activityId: m[2] && decodeURIComponent(m[2]), body: JSON.parse(body || '{}') };
        calls.push(call);
        for (const w of waiters.splice(0)) w();
        return json(200, { id: `act-${calls.length}` });
      }
      json(404, { error: 'not found' });
    })().catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${base}/issuer`;

  return {
    url: base,
    openIdMetadataUrl: `${base}/openid/.well-known/openidconfiguration`,
    loginUrl: `${base}/oauth2/token`,
    issuer,
    calls,
    channelToken({ audience = options.appId, serviceUrl = base, expiresInS = 3600, signWith = 'own' } = {}) {
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: issuer, aud: audience, serviceurl: serviceUrl, nbf: now - 60, iat: now - 60, exp: now + expiresInS };
      return sign(claims, signWith === 'own' ? own.privateKey : other.privateKey, signWith === 'other-kid' ? 'unknown-kid' : KID);
    },
    async waitForCall(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = calls.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching Bot Connector call; calls: ${JSON.stringify(calls)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
