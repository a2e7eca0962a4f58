/** Tokens over REST, so the CLI's admin verbs also work against a running server (the audit log: audit-routes.ts). */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireScope, type Actor } from '../core/actor.ts';
import { describeToken, issueToken, revokeToken, rotateToken } from '../core/manage-tokens.ts';
import type { Clock, PolicySource, TokenStore } from '../core/ports.ts';
import { parseDuration } from '../domain/duration.ts';
import { parseWith } from './parse.ts';
import { CreateTokenBody } from './schemas.ts';

export interface AdminDeps {
  tokens: TokenStore;
  clock: Clock;
  policy: PolicySource;
  authenticate(request: FastifyRequest): Promise<Actor>;
}

export function registerAdminRoutes(server: FastifyInstance, deps: AdminDeps): void {
  server.post('/api/v1/tokens', async (req, reply) => {
    const actor = await deps.authenticate(req);
    requireScope(actor, 'admin');
    const body = parseWith(CreateTokenBody, req.body);
    const { token, record } = await issueToken(
      { ownerId: body.for, scopes: body.scopes, label: body.label, issuedBy: actor.id, expiresInSec: body.expires ? parseDuration(body.expires) : undefined },
      { tokens: deps.tokens, clock: deps.clock, policy: deps.policy.current() },
    );
    return reply.status(201).send({ token, prefix: record.prefix, ownerId: record.ownerId, scopes: record.scopes, expiresAt: record.expiresAt?.toISOString() ?? null });
  });

  server.get<{ Querystring: { for?: string } }>('/api/v1/tokens', async (req) => {
    const actor = await deps.authenticate(req);
    requireScope(actor, 'admin');
    return { tokens: (await deps.tokens.listTokens(req.query.for || undefined)).map(describeToken) };
  });

  server.delete<{ Params: { prefix: string } }>('/api/v1/tokens/:prefix', async (req) => {
    const actor = await deps.authenticate(req);
    requireScope(actor, 'admin');
    const record = await revokeToken(req.params.prefix, actor.id, deps);
    return { prefix: record.prefix, revokedAt: record.revokedAt?.toISOString() ?? null };
  });

  // A new secret for the same owner, scopes, label and expiry; the old one stops working in the same transaction.
  server.post<{ Params: { prefix: string } }>('/api/v1/tokens/:prefix/rotate', async (req, reply) => {
    const actor = await deps.authenticate(req);
    requireScope(actor, 'admin');
    const { token, record, previous } = await rotateToken(req.params.prefix, actor.id, deps);
    return reply
      .header('cache-control', 'no-store')
      .send({ token, prefix: record.prefix, previousPrefix: previous.prefix, ownerId: record.ownerId, scopes: record.scopes, expiresAt: record.expiresAt?.toISOString() ?? null });
  });
}
