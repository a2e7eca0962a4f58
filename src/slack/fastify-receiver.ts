/**
 * A Bolt `Receiver` on our Fastify server: `POST /slack/events` takes slash commands, interactivity, options and
 * events. Each request is verified (verify-signature.ts) before Bolt sees it; an unsigned, stale or future
 * request is 401 and changes nothing. The HTTP answer is whatever the handler passes to `ack()`, sent at once:
 * slow work runs after `ack()` (Slack gives 3 s). If a handler never acks, Slack gets an empty 200 after 2.5 s
 * rather than a timeout and a retry.
 */
import { parse as parseQuery } from 'node:querystring';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { SIGNATURE_WINDOW_SEC, verifySlackSignature } from './verify-signature.ts';

export const SLACK_EVENTS_PATH = '/slack/events';
const NO_ACK_MS = 2_500;

export interface FastifyReceiverOptions {
  server: FastifyInstance;
  signingSecret: string;
  logger: Logger;
  now?: () => number;
}

export class FastifyReceiver implements Receiver {
  private app: App | undefined;
  /** Signatures seen within the signing window (a replay carries the same one). */
  private readonly seen = new Map<string, number>();

  constructor(private readonly options: FastifyReceiverOptions) {
    const { server } = options;
    server.register(async (scope) => {
      // Raw bodies in this scope only: the signature is over the exact bytes Slack sent.
      scope.addContentTypeParser(['application/x-www-form-urlencoded', 'application/json'], { parseAs: 'string', bodyLimit: 1_048_576 }, (_req, body, done) => done(null, body));
      scope.post(SLACK_EVENTS_PATH, async (req, reply) => {
        const rawBody = typeof req.body === 'string' ? req.body : '';
        const header = (name: string) => {
          const value = req.headers[name];
          return Array.isArray(value) ? value[0] : value;
        };
        const check = verifySlackSignature({
          signingSecret: options.signingSecret,
          rawBody,
          timestamp: header('x-slack-request-timestamp'),
          signature: header('x-slack-signature'),
          nowMs: (options.now ?? Date.now)(),
        });
        // A valid request replayed within the window (same signature) is answered but not acted on again.
        if (check.ok && !this.firstSeen(header('x-slack-signature')!)) {
          options.logger.warn({ ip: req.ip }, 'ignored a replayed Slack request');
          return reply.status(200).send();
        }
        if (!check.ok) {
          options.logger.warn({ reason: check.reason, ip: req.ip }, 'refused a Slack request that is not correctly signed');
          return reply.status(401).send({ error: { code: 'UNAUTHENTICATED', message: 'Not a correctly signed Slack request' } });
        }
        let body: Record<string, unknown>;
        try {
          body = parseBody(rawBody, header('content-type'));
        } catch {
          return reply.status(400).send({ error: { code: 'INVALID_BODY', message: 'Unreadable Slack payload' } });
        }
        if (body.ssl_check === '1') return reply.status(200).send();
        if (body.type === 'url_verification') return reply.status(200).send({ challenge: body.challenge });
        return this.dispatch(body, header('x-slack-retry-num'), header('x-slack-retry-reason'), reply);
      });
    });
  }

  private dispatch(body: Record<string, unknown>, retryNum: string | undefined, retryReason: string | undefined, reply: import('fastify').FastifyReply) {
    const app = this.app;
    if (!app) return reply.status(503).send({ error: { code: 'UNAVAILABLE', message: 'Slack app not ready' } });
    return new Promise<void>((resolve) => {
      let answered = false;
      const answer = (status: number, payload?: unknown) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        if (payload === undefined || payload === '') reply.status(status).send();
        else if (typeof payload === 'string') reply.status(status).type('text/plain; charset=utf-8').send(payload);
        else reply.status(status).send(payload);
        resolve();
      };
      const timer = setTimeout(() => answer(200), NO_ACK_MS);
      const event: ReceiverEvent = {
        body,
        ...(retryNum ? { retryNum: Number(retryNum) } : {}),
        ...(retryReason ? { retryReason } : {}),
        ack: async (response?: unknown) => answer(200, response),
      };
      app.processEvent(event).catch((err: unknown) => {
        this.options.logger.error({ err }, 'Slack handler failed');
        answer(200);
      });
    });
  }

  private firstSeen(signature: string): boolean {
    const now = (this.options.now ?? Date.now)();
    if (this.seen.size > 10_000 || (this.seen.size > 0 && this.seen.values().next().value! < now - SIGNATURE_WINDOW_SEC * 2000)) {
      for (const [key, at] of this.seen) if (at < now - SIGNATURE_WINDOW_SEC * 2000) this.seen.delete(key);
    }
    if (this.seen.has(signature)) return false;
    this.seen.set(signature, now);
    return true;
  }

  init(app: App): void {
    this.app = app;
  }

  // The Fastify server is started and stopped by the app; nothing to do here.
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

function parseBody(rawBody: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.startsWith('application/x-www-form-urlencoded')) {
    const form = parseQuery(rawBody) as Record<string, unknown>;
    return typeof form.payload === 'string' ? (JSON.parse(form.payload) as Record<string, unknown>) : form;
  }
  return JSON.parse(rawBody) as Record<string, unknown>;
}
