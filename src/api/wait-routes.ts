/**
 * `GET /api/v1/credentials/jit/:id/wait?timeout=30s`: the long poll for agents that block on a decision
 * (core/wait-for-decision.ts). Answers 200 with the request view and `settled`; stops at once when the client
 * disconnects, so an abandoned wait costs no more reads.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../core/actor.ts';
import type { CorePorts } from '../core/ports.ts';
import { waitForDecision, type Sleeper } from '../core/wait-for-decision.ts';
import { parseDuration } from '../domain/duration.ts';
import { StintError } from '../domain/errors.ts';
import { parseWith } from './parse.ts';
import { WaitQuery } from './schemas.ts';

export const WAIT_DEFAULT_SEC = 30;
export const WAIT_MAX_SEC = 60;

export interface WaitRouteDeps {
  core: CorePorts;
  authenticate(request: FastifyRequest): Promise<Actor>;
  sleeper?: Sleeper;
}

/** `30s`, `1m` or plain seconds (`0` answers at once); at most WAIT_MAX_SEC. */
export function parseWaitTimeout(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return WAIT_DEFAULT_SEC;
  const seconds = /^\d+$/.test(text.trim()) ? Number(text.trim()) : parseDuration(text);
  if (seconds > WAIT_MAX_SEC) {
    throw new StintError('INVALID_DURATION', `A wait lasts at most ${WAIT_MAX_SEC}s; ask again with timeout=${WAIT_MAX_SEC}s or less and call again while "settled" is false`, {
      timeout: text,
      maxSeconds: WAIT_MAX_SEC,
    });
  }
  return seconds;
}

export function registerWaitRoute(server: FastifyInstance, deps: WaitRouteDeps): void {
  // Graceful shutdown: waits in flight answer at once (settled: false) instead of holding the close for a minute;
  // the client asks again, on another replica.
  const closing = new AbortController();
  server.addHook('preClose', async () => closing.abort());
  server.get<{ Params: { id: string } }>('/api/v1/credentials/jit/:id/wait', async (req, reply) => {
    const actor = await deps.authenticate(req);
    const timeoutSec = parseWaitTimeout(parseWith(WaitQuery, req.query).timeout);
    const gone = new AbortController();
    // 'close' also fires after a normal answer; only an unfinished response means the client went away.
    const onClose = () => {
      if (!reply.raw.writableFinished) gone.abort();
    };
    reply.raw.on('close', onClose);
    try {
      const result = await waitForDecision(actor, { requestId: req.params.id, timeoutMs: timeoutSec * 1000, signal: AbortSignal.any([gone.signal, closing.signal]) }, { ...deps.core, ...(deps.sleeper && { sleeper: deps.sleeper }) });
      return { ...result.request, settled: result.settled };
    } finally {
      reply.raw.off('close', onClose);
    }
  });
}
