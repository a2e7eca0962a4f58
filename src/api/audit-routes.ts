/**
 * The audit log over REST: `GET /api/v1/audit` (a page of the chain after `after`, or with `follow=true` one
 * long response that keeps streaming new events as they are appended, for a SIEM that pulls), in json (NDJSON),
 * syslog or cef lines; and `GET /api/v1/audit/verify`. With STINT_AUDIT_SIGNING_KEY a followed stream carries
 * signed anchors of the head (every N events and every minute), as `stint audit export --follow` does.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireScope, type Actor } from '../core/actor.ts';
import type { AuditReader } from '../core/ports.ts';
import { formatAuditEvent, type AnchorOptions } from '../audit/export-events.ts';
import { followAudit } from '../audit/follow-audit.ts';
import { verifyChain } from '../audit/verify-chain.ts';
import { parseWith } from './parse.ts';
import { AuditQuery } from './schemas.ts';

export interface AuditRouteDeps {
  audit: AuditReader;
  /** The server's signing key: followed streams carry signed anchors. */
  anchors?: AnchorOptions;
  authenticate(request: FastifyRequest): Promise<Actor>;
  /** How often a followed stream looks for new events. @defaultValue 1000 */
  followPollMs?: number;
}

export function registerAuditRoutes(server: FastifyInstance, deps: AuditRouteDeps): void {
  // Followed streams end when the server closes, so a graceful shutdown does not wait for a SIEM to hang up.
  const following = new Set<AbortController>();
  server.addHook('preClose', async () => {
    for (const stop of following) stop.abort();
  });

  server.get('/api/v1/audit', async (req, reply) => {
    const actor = await deps.authenticate(req);
    requireScope(actor, 'audit:read');
    const query = parseWith(AuditQuery, req.query);
    const contentType = query.format === 'json' ? 'application/x-ndjson' : 'text/plain; charset=utf-8';
    if (!query.follow) {
      const events = await deps.audit.readAudit(query.after, query.limit);
      return reply.header('Content-Type', contentType).send(events.map((e) => formatAuditEvent(e, query.format) + '\n').join(''));
    }

    const stop = new AbortController();
    following.add(stop);
    req.raw.on('close', () => stop.abort());
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    const write = async (line: string) => {
      if (!res.write(line + '\n') && !stop.signal.aborted) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            stop.signal.removeEventListener('abort', done);
            resolve();
          };
          res.on('drain', done);
          stop.signal.addEventListener('abort', done, { once: true });
        });
      }
    };
    try {
      await followAudit((after) => deps.audit.streamAudit(after), query.after, query.format, write, {
        signal: stop.signal,
        ...(deps.anchors && { anchors: deps.anchors }),
        ...(deps.followPollMs && { pollMs: deps.followPollMs }),
      });
    } catch (err) {
      req.log.warn({ err }, 'audit follow stream ended by an error');
    } finally {
      following.delete(stop);
      res.end();
    }
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
