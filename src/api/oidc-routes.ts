/**
 * Step-up by OIDC re-login (issue 12), the browser half. `GET /auth/step-up/:id` (the link in a STEP_UP_REQUIRED
 * answer, a Slack modal or a Teams card) sends the person to the identity provider with `prompt=login` and
 * `max_age=0` (sign in again, not a remembered session), PKCE (S256), a nonce and the challenge as `state`; the PKCE
 * verifier and nonce stay in an HttpOnly cookie of that browser, so nothing secret is stored and a callback from
 * another browser is refused. `GET /auth/oidc/callback` exchanges the code (openid-client checks the ID token's
 * signature against the provider's JWKS, issuer, audience, expiry, nonce and the PKCE binding) and hands the
 * identity to core/confirm-re-login.ts. Answers are small HTML pages: a person reads them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import type { OidcConfig } from '../config.ts';
import { confirmReLogin, isChallengeId, openReLoginChallenge } from '../core/confirm-re-login.ts';
import type { CorePorts } from '../core/ports.ts';
import { StintError } from '../domain/errors.ts';
import type { Logger } from 'pino';

const COOKIE_PREFIX = 'stint_relogin_';
const CALLBACK_PATH = '/auth/oidc/callback';

export interface OidcRouteDeps {
  config: OidcConfig;
  core: CorePorts;
  logger: Logger;
}

/** The identity provider's metadata, read at first use and kept; a failed read is tried again next time. */
export function oidcClient(config: OidcConfig): () => Promise<oidc.Configuration> {
  let discovered: Promise<oidc.Configuration> | null = null;
  const issuer = new URL(config.issuer);
  // Plain HTTP only to this machine (a local test issuer); anything else must be HTTPS.
  const loopback = issuer.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(issuer.hostname);
  return () => {
    discovered ??= oidc
      .discovery(issuer, config.clientId, undefined, config.clientSecret !== undefined ? oidc.ClientSecretBasic(config.clientSecret) : oidc.None(), {
        // The ID token's signature is checked against the provider's JWKS too, not only trusted for arriving over TLS.
        execute: [oidc.enableNonRepudiationChecks, ...(loopback ? [oidc.allowInsecureRequests] : [])],
        timeout: 10,
      })
      .catch((err: unknown) => {
        discovered = null;
        throw new StintError('UNAVAILABLE', `The identity provider ${config.issuer} cannot be reached or is not an OpenID provider (${(err as Error).message}): try again in a minute, or use your authenticator code`);
      });
    return discovered;
  };
}

export function registerOidcRoutes(server: FastifyInstance, deps: OidcRouteDeps): void {
  const client = oidcClient(deps.config);
  const secure = deps.config.redirectUri.startsWith('https:');

  server.get<{ Params: { id: string } }>('/auth/step-up/:id', async (req, reply) => {
    try {
      const challenge = await openReLoginChallenge(req.params.id, deps.core);
      if (challenge.confirmedAt) return page(reply, 200, 'Already confirmed', `You already signed in again for the ${challenge.purpose}. Go back and finish it there.`);
      const verifier = oidc.randomPKCECodeVerifier();
      const nonce = oidc.randomNonce();
      const person = deps.core.policy.current().people.get(challenge.principalId);
      const target = oidc.buildAuthorizationUrl(await client(), {
        redirect_uri: deps.config.redirectUri,
        response_type: 'code',
        scope: 'openid email profile',
        state: challenge.id,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        prompt: 'login',
        max_age: '0',
        ...(person && { login_hint: person.email }),
      });
      const maxAge = Math.max(1, Math.ceil((challenge.expiresAt.getTime() - deps.core.clock.now().getTime()) / 1000));
      reply.header('set-cookie', `${COOKIE_PREFIX}${challenge.id}=${verifier}.${nonce}; Path=${CALLBACK_PATH}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`);
      reply.header('cache-control', 'no-store');
      return reply.redirect(target.href, 302);
    } catch (err) {
      return failure(reply, err, deps.logger);
    }
  });

  server.get<{ Querystring: Record<string, string | undefined> }>(CALLBACK_PATH, async (req, reply) => {
    const state = req.query.state ?? '';
    const cookieName = `${COOKIE_PREFIX}${state}`;
    // The flow's cookie goes whatever happens next: a code is good once.
    if (isChallengeId(state)) reply.header('set-cookie', `${cookieName}=; Path=${CALLBACK_PATH}; Max-Age=0; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`);
    try {
      if (req.query.error) {
        const said = req.query.error_description ? `${req.query.error}: ${req.query.error_description}` : req.query.error;
        throw new StintError('STEP_UP_FAILED', `The identity provider did not sign you in (${said}). Open the link again to retry`);
      }
      const challenge = await openReLoginChallenge(state, deps.core);
      if (challenge.confirmedAt) return page(reply, 200, 'Already confirmed', `You already signed in again for the ${challenge.purpose}. Go back and finish it there.`);
      const flow = cookieOf(req, cookieName)?.split('.');
      if (!flow || flow.length !== 2) {
        throw new StintError('INVALID_BODY', 'This sign-in did not start in this browser (or took longer than 10 minutes): open the link again in the browser you sign in with');
      }
      const [verifier, nonce] = flow as [string, string];
      const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        tokens = await oidc.authorizationCodeGrant(await client(), new URL(`${deps.config.redirectUri}${query}`), {
          pkceCodeVerifier: verifier,
          expectedNonce: nonce,
          expectedState: state,
          idTokenExpected: true,
        });
      } catch (err) {
        if (err instanceof StintError) throw err;
        deps.logger.warn({ err: { name: (err as Error).name, message: (err as Error).message } }, 'OIDC re-login refused');
        throw new StintError('STEP_UP_FAILED', `The identity provider's answer could not be verified (${(err as Error).message}). Open the link again to retry`);
      }
      const claims = tokens.claims()!;
      const value = claims[deps.config.claim];
      const outcome = await confirmReLogin(
        state,
        {
          claim: deps.config.claim,
          value: typeof value === 'string' ? value : null,
          authTime: typeof claims.auth_time === 'number' ? new Date(claims.auth_time * 1000) : null,
        },
        deps.core,
      );
      const until = outcome.usableUntil.toISOString().slice(11, 16);
      return page(reply, 200, 'Confirmed', `You signed in again for the ${outcome.challenge.purpose}. Go back to Slack, Teams or your terminal and finish it before ${until} UTC (the CLI carries on by itself).`);
    } catch (err) {
      return failure(reply, err, deps.logger);
    }
  });
}

function cookieOf(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

function failure(reply: FastifyReply, err: unknown, logger: Logger): FastifyReply {
  if (err instanceof StintError) return page(reply, err.httpStatus, 'Not confirmed', err.message);
  logger.error({ err }, 'OIDC re-login failed');
  return page(reply, 500, 'Not confirmed', 'Something went wrong on our side: open the link again, or ask your Stint admin.');
}

function page(reply: FastifyReply, status: number, title: string, text: string): FastifyReply {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Stint — ${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1d1c1d}h1{font-size:1.4rem}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`;
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
    .send(html);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
