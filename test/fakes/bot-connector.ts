/**
 * A local stand-in for the Bot Framework side of Teams: the OpenID metadata + JWKS the bot checks inbound
 * tokens against, a signer that issues channel tokens (RS256, `kid` set, `iss`/`aud`/`serviceurl`, no `ver`),
 * a client-credentials token endpoint for the bot's outbound calls, and the Bot Connector REST calls the bot
 * makes (send, reply, update, member and channel look-ups), recorded, and refused without a bearer token this
 * fake issued. Like the service, it refuses malformed activities (400: no type, an attachment without content
 * type, an Adaptive Card that does not validate as 1.5), updates of activities it never issued in that
 * conversation (404), posts to conversations the bot is not in (403 `BotNotInConversationRoster`), and can be
 * told to throttle (429 with Retry-After).
 */
import { createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertValidAdaptiveCard } from '../support/adaptive-card-schema.ts';

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
  /** Calls answered with an error (their bodies and why), for tests that pin a refusal. */
  refusals: Array<{ path: string; status: number; reason: string }>;
  /** What `GET /v3/conversations/:id/members/:userId` answers for a user id (`29:…`). */
  members: Map<string, { id: string; name: string; aadObjectId: string; email?: string; userPrincipalName?: string }>;
  /** What `GET /v3/teams/:teamId/conversations` answers for a team. */
  teamChannels: Map<string, Array<{ id: string; name?: string }>>;
  /** Conversations the bot is not in: posts there get 403 BotNotInConversationRoster. */
  notInConversation: Set<string>;
  /** The next `times` sends/updates to a conversation (or to any, with `*`) answer 429 with this Retry-After. */
  throttle(conversationId: string, times: number, retryAfterS: number): void;
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
  const refusals: FakeBotConnector['refusals'] = [];
  const members: FakeBotConnector['members'] = new Map();
  const teamChannels: FakeBotConnector['teamChannels'] = new Map();
  const notInConversation = new Set<string>();
  const throttled = new Map<string, { times: number; retryAfterS: number }>();
  /** conversation id → activity ids this fake issued there. */
  const issuedActivities = new Map<string, Set<string>>();
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
      const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const authorized = bearer !== undefined && issued.has(bearer);
      const refuse = (status: number, code: string, reason: string) => {
        refusals.push({ path, status, reason });
        return json(status, { error: { code, message: reason } });
      };
      const member = /^\/v3\/conversations\/([^/]+)\/members\/([^/]+)$/.exec(path);
      if (member && req.method === 'GET') {
        if (!authorized) return refuse(401, 'Unauthorized', 'no valid bearer token');
        const found = members.get(decodeURIComponent(member[2]!));
        return found ? json(200, found) : refuse(404, 'MemberNotFoundInConversation', 'no such member');
      }
      const channels = /^\/v3\/teams\/([^/]+)\/conversations$/.exec(path);
      if (channels && req.method === 'GET') {
        if (!authorized) return refuse(401, 'Unauthorized', 'no valid bearer token');
        const list = teamChannels.get(decodeURIComponent(channels[1]!));
        return list ? json(200, { conversations: list }) : refuse(404, 'NotFound', 'no such team');
      }
      const m = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/]+))?$/.exec(path);
      if (m && (req.method === 'POST' || req.method === 'PUT')) {
        if (!authorized) return refuse(401, 'Unauthorized', 'no valid bearer token');
        const fullId = decodeURIComponent(m[1]!);
        /** A channel thread (`19:…;messageid=…`) belongs to its channel. */
        const conversationId = fullId.split(';')[0]!;
        const activityId = m[2] && decodeURIComponent(m[2]);
        const limit = throttled.get(conversationId) ?? throttled.get('*');
        if (limit && limit.times > 0) {
          limit.times -= 1;
          refusals.push({ path, status: 429, reason: 'throttled' });
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(limit.retryAfterS) });
          return res.end(JSON.stringify({ error: { code: 'TooManyRequests', message: 'throttled' } }));
        }
        if (notInConversation.has(conversationId)) return refuse(403, 'BotNotInConversationRoster', 'the bot is not part of the conversation roster');
        let activity: Record<string, any>;
        try {
          activity = JSON.parse(body || 'null');
        } catch {
          return refuse(400, 'BadArgument', 'the body is not JSON');
        }
        const malformed = malformedActivity(activity);
        if (malformed) return refuse(400, 'BadArgument', malformed);
        const known = issuedActivities.get(conversationId) ?? new Set<string>();
        issuedActivities.set(conversationId, known);
        if (req.method === 'PUT' && !known.has(activityId ?? '')) return refuse(404, 'ActivityNotFoundInConversation', `no activity ${activityId} in ${conversationId}`);
        const call: ConnectorCall = { method: req.method, path, conversationId: fullId, activityId, body: activity };
        calls.push(call);
        for (const w of waiters.splice(0)) w();
        const id = req.method === 'PUT' ? activityId! : `act-${calls.length}`;
        known.add(id);
        return json(200, { id });
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
    refusals,
    members,
    teamChannels,
    notInConversation,
    throttle(conversationId, times, retryAfterS) {
      throttled.set(conversationId, { times, retryAfterS });
    },
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

/** Why the Bot Connector would refuse this activity, or null. */
function malformedActivity(activity: Record<string, any> | null): string | null {
  if (!activity || typeof activity !== 'object') return 'the activity is not an object';
  if (typeof activity.type !== 'string' || activity.type.length === 0) return 'the activity has no type';
  for (const attachment of activity.attachments ?? []) {
    if (typeof attachment?.contentType !== 'string') return 'an attachment has no contentType';
    if (attachment.contentType === 'application/vnd.microsoft.card.adaptive') {
      try {
        assertValidAdaptiveCard(attachment.content);
      } catch (err) {
        return err instanceof Error ? err.message.split('\n{')[0]! : String(err);
      }
    }
  }
  if (activity.type === 'message' && !activity.text && !(activity.attachments?.length > 0)) return 'a message with neither text nor attachments';
  return null;
}
