/**
 * `POST /api/v1/introspect` (RFC 7662): a resource server, with its own stint_live_ token holding the `introspect`
 * scope, asks whether a stint_jit_ credential is live and for which scopes. The body is a form
 * (`token=…&scope=…`, as RFC 7662 has it) or JSON (`{"token": "…", "scope": "…"}`). The token is a secret: it is
 * never logged, and no error message repeats it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../core/actor.ts';
import { introspectCredential, type IntrospectionPorts } from '../core/introspect-credential.ts';
import { parseWith } from './parse.ts';
import { IntrospectBody } from './schemas.ts';

export interface IntrospectRouteDeps {
  ports: IntrospectionPorts;
  authenticate(request: FastifyRequest): Promise<Actor>;
}

export function registerIntrospectRoutes(server: FastifyInstance, deps: IntrospectRouteDeps): void {
  // A plugin of its own: the form parser applies to this route only, the rest of the API stays JSON.
  void server.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    scope.post('/api/v1/introspect', async (req, reply) => {
      const actor = await deps.authenticate(req);
      const body = parseWith(IntrospectBody, req.body);
      const answer = await introspectCredential(actor, { token: body.token, scope: body.scope ?? null }, deps.ports);
      return reply.header('Cache-Control', 'no-store').send(answer);
    });
  });
}
