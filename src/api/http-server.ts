/**
 * The one HTTP server (fastify). It hosts the REST API now and the Slack and Teams endpoints later. Every
 * error leaves as `{"error":{"code","message"}}` with a 4xx/5xx status, never a stack trace.
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { StintError, isStintError } from '../domain/errors.ts';
import type { Policy } from '../policy/model.ts';

export function createHttpServer(options: { logger: Logger; trustProxy?: boolean | number | string[] }): FastifyInstance {
  // pino's Logger and fastify's base logger type differ only in optional fields; fastify accepts a pino instance.
  const server = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: 256 * 1024,
    // A hop count as a function: fastify's types take one (the proxy-addr semantics: trust the nearest N hops).
    trustProxy: typeof options.trustProxy === 'number' ? ((_address: string, hop: number) => hop < (options.trustProxy as number)) : (options.trustProxy ?? false),
    genReqId: () => `req_${Math.random().toString(36).slice(2, 12)}`,
  });

  server.setErrorHandler((error: FastifyError | StintError, request, reply) => {
    if (isStintError(error)) {
      if ((error.code === 'RATE_LIMITED' || error.code === 'UNAVAILABLE') && error.details?.retryAfterSec) reply.header('Retry-After', String(error.details.retryAfterSec));
      return reply.status(error.httpStatus).send(errorBody(error.code, error.message, error.details));
    }
    const status = (error as FastifyError).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own refusals: malformed JSON, wrong content type, body too large.
      const message =
        (error as FastifyError).code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'Send the body as JSON (Content-Type: application/json)'
          : `Malformed request: ${error.message}`;
      return reply.status(400).send(errorBody('INVALID_BODY', message));
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.status(500).send(errorBody('INTERNAL', `Something went wrong on our side; quote request id ${request.id} to an admin`));
  });

  server.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody('NOT_FOUND', `No route ${request.method} ${request.url}; see /openapi.json`)),
  );
  return server;
}

export function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: { code, message, ...(details ? { details } : {}) } };
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

/**
 * Where a request came from (issue 12): the client's address (behind a proxy, as fastify's `trustProxy` allows) and,
 * when the policy names the header an identity-aware proxy sets, the device posture it reports.
 */
export function requestSource(req: FastifyRequest, policy: Policy): { ip: string; devicePosture: 'compliant' | 'noncompliant' | null } {
  const header = policy.devicePostureHeader ? req.headers[policy.devicePostureHeader] : undefined;
  const value = typeof header === 'string' ? header.trim().toLowerCase() : '';
  return { ip: req.ip, devicePosture: value === 'compliant' || value === 'noncompliant' ? value : null };
}
