/**
 * Posting and updating messages through the Web API, politely: one message a second per channel (the pacer),
 * Retry-After honoured on HTTP 429 (the client is built with `rejectRateLimitedCalls`, so a 429 surfaces as a
 * `slack_webapi_rate_limited_error` carrying `retryAfter` instead of the SDK retrying out of our sight), a few
 * quick retries for network trouble and Slack's own transient errors, and `ok:false` answers such as
 * `channel_not_found` returned as a result — they are permanent for that channel and must not be retried.
 */
import { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import type { ChannelPacer } from '../notify/channel-pacer.ts';
import type { SlackMessage } from './blocks.ts';

export type SendResult = { ok: true; channel: string; ts: string } | { ok: false; error: string };

export interface SlackSenderOptions {
  client: webApi.WebClient;
  pacer: ChannelPacer;
  logger: Logger;
  /** Rate-limited answers waited out per call before giving up (the job is then retried). @defaultValue 5 */
  maxRateLimitWaits?: number;
  /** Longest Retry-After honoured as such; longer ones fail the call for the queue's backoff. @defaultValue 120 */
  maxRetryAfterSec?: number;
  /** Retries of network errors and Slack's transient errors, 0.5 s then 1 s apart. @defaultValue 2 */
  transientRetries?: number;
  /** Told of every 429 (metrics). */
  onRateLimited?: () => void;
}

/** Slack's `ok:false` codes that mean "try again later" rather than "this will never work". */
const TRANSIENT = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);

export class SlackSender {
  constructor(private readonly options: SlackSenderOptions) {}

  post(channel: string, message: SlackMessage): Promise<SendResult> {
    return this.call(channel, 'chat.postMessage', () => this.options.client.chat.postMessage({ channel, text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}), unfurl_links: false }));
  }

  update(channel: string, ts: string, message: SlackMessage): Promise<SendResult> {
    return this.call(channel, 'chat.update', () => this.options.client.chat.update({ channel, ts, text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) }));
  }

  private async call(channel: string, method: string, send: () => Promise<{ channel?: string; ts?: string }>): Promise<SendResult> {
    const { pacer, logger } = this.options;
    let rateLimited = 0;
    let transient = 0;
    for (;;) {
      await pacer.take(channel);
      try {
        const answer = await send();
        return { ok: true, channel: answer.channel ?? channel, ts: answer.ts ?? '' };
      } catch (err) {
        const retryAfter = rateLimitOf(err);
        if (retryAfter !== undefined) {
          this.options.onRateLimited?.();
          if (++rateLimited > (this.options.maxRateLimitWaits ?? 5) || retryAfter > (this.options.maxRetryAfterSec ?? 120)) throw err;
          logger.info({ channel, method, retryAfter }, 'Slack rate-limited a call; waiting as Retry-After says');
          pacer.holdOff(channel, retryAfter * 1_000);
          continue;
        }
        const platform = platformErrorOf(err);
        if (platform !== undefined && !TRANSIENT.has(platform)) return { ok: false, error: platform };
        if (++transient > (this.options.transientRetries ?? 2)) throw err;
        logger.warn({ channel, method, err: err instanceof Error ? err.message : String(err) }, 'Slack call failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** (transient - 1)));
      }
    }
  }
}

function rateLimitOf(err: unknown): number | undefined {
  if (err instanceof Error && (err as { code?: unknown }).code === webApi.ErrorCode.RateLimitedError) return (err as webApi.WebAPIRateLimitedError).retryAfter;
  return undefined;
}

function platformErrorOf(err: unknown): string | undefined {
  if (err instanceof Error && (err as { code?: unknown }).code === webApi.ErrorCode.PlatformError) return (err as webApi.WebAPIPlatformError).data.error;
  return undefined;
}
