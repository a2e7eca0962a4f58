/**
 * `POST /api/v1/introspect` (RFC 7662): a resource server, with its own stint_live_ token holding the `introspect`
 * scope, asks whether a stint_jit_ credential is live and for which scopes. The body is a form
 * (`token=…&scope=…`, as RFC 7662 has it) or JSON (`{"token": "…", "scope": "…"}`). The token is a secret: it is
 * never logged, and no error message repeats it.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../core/actor.ts';
import { introspectCredential, type IntrospectionPorts } from '../core/introspect-credential.ts';
import { bearerToken } from './http-server.ts';
import { parseWith } from './parse.ts';
import { IntrospectBody } from './schemas.ts';

export interface IntrospectRouteDeps {
  ports: IntrospectionPorts;
  authenticate(request: FastifyRequest): Promise<Actor>;
  /** How long a resource server's authenticated token is remembered. @defaultValue 1000 */
  authCacheMs?: number;
}

/**
 * Resource servers ask for every call they serve, always with the same token: its authentication is remembered
 * for at most `maxAgeMs` (the bound introspection answers have anyway), which halves the database reads of the
 * hot path. Only successes are kept, by the token's hash; a revoked resource-server token stops within that bound.
 */
function rememberedAuthentication(authenticate: IntrospectRouteDeps['authenticate'], maxAgeMs: number, maxEntries = 1_000) {
  const known = new Map<string, { actor: Actor; at: number }>();
  return async (req: FastifyRequest): Promise<Actor> => {
    const token = bearerToken(req);
    const key = token === undefined ? undefined : createHash('sha256').update(token).digest('hex');
    const hit = key === undefined ? undefined : known.get(key);
    const now = performance.now();
    if (hit && now - hit.at < maxAgeMs) return hit.actor;
    const actor = await authenticate(req);
    if (key !== undefined) {
      known.delete(key);
      known.set(key, { actor, at: now });
      if (known.size > maxEntries) known.delete(known.keys().next().value!);
    }
    return actor;
  };
}

export function registerIntrospectRoutes(server: FastifyInstance, deps: IntrospectRouteDeps): void {
  const authenticate = rememberedAuthentication(deps.authenticate, deps.authCacheMs ?? 1_000);
  // A plugin of its own: the form parser applies to this route only, the rest of the API stays JSON.
  void server.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.post('/api/v1/introspect', async (req, reply) => {
      const actor = await authenticate(req);
      const body = parseWith(IntrospectBody, req.body);
      const answer = await introspectCredential(actor, { token: body.token, scope: body.scope ?? null }, deps.ports);
      return reply.header('Cache-Control', 'no-store').send(answer);
    });
  });
}
