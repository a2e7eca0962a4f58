/** Tokens and the audit log over REST, so the CLI's admin verbs also work against a running server. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireScope, type Actor } from '../core/actor.ts';
import { describeToken, issueToken, revokeToken } from '../core/manage-tokens.ts';
import type { AuditReader, Clock, PolicySource, TokenStore } from '../core/ports.ts';
import { parseDuration } from '../domain/duration.ts';
import { formatAuditEvent } from '../audit/export-events.ts';
import { verifyChain } from '../audit/verify-chain.ts';
import { parseWith } from './parse.ts';
import { AuditQuery, CreateTokenBody } from './schemas.ts';

export interface AdminDeps {
  tokens: TokenStore;
  audit: AuditReader;
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

  // NDJSON stream of the chain after `after`, for SIEM pulls and `stint audit export` against a server.
  server.get('/api/v1/audit', async (req, reply) => {
    const actor = await deps.authenticate(req);
    requireScope(actor, 'audit:read');
    const query = parseWith(AuditQuery, req.query);
    const limit = query.limit ?? 10_000;
    const events = await deps.audit.readAudit(query.after ?? 0n, limit);
    reply.header('Content-Type', 'application/x-ndjson');
    return events.map((e) => formatAuditEvent(e, 'json') + '\n').join('');
  });

  server.get('/api/v1/audit/verify', async (req) => {
    const actor = await deps.authenticate(req);
    requireScope(actor, 'audit:read');
    const result = await verifyChain(deps.audit.streamAudit(0n));
    return result.ok
      ? { ok: true, count: result.count, headSeq: result.headSeq?.toString() ?? null, headHash: result.headHash }
      : { ok: false, count: result.count, brokenSeq: result.brokenSeq.toString(), reason: result.reason };
  });
}
