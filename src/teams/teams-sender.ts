/**
 * Proactive posts and in-place updates through the Bot Connector, politely (DESIGN.md section 6): Teams
 * throttles per conversation (about 7 messages a second and 60 in 30 s), so each conversation gets one call
 * every 500 ms (the pacer); a 429 is waited out (Retry-After, else 1 s doubling), network trouble and 5xx are
 * retried a few times quickly and then fail the job (the `notify` queue retries it with backoff), and a refusal
 * for good — 403 (bot not in the conversation, blocked by the user), 404, 400 — is returned as a result, never
 * retried.
 */
import type { Activity, CloudAdapter, ConversationReference, TurnContext } from 'botbuilder';
import type { Logger } from 'pino';
import type { ChannelPacer } from '../notify/channel-pacer.ts';

export type TeamsSendResult = { ok: true; activityId: string } | { ok: false; error: string };

export interface TeamsSenderOptions {
  adapter: CloudAdapter;
  appId: string;
  pacer: ChannelPacer;
  logger: Logger;
  /** Rate-limited answers waited out per call before giving up (the job is then retried). @defaultValue 5 */
  maxRateLimitWaits?: number;
  /** Longest Retry-After honoured as such; longer ones fail the call for the queue's backoff. @defaultValue 120 */
  maxRetryAfterSec?: number;
  /** Told of every 429 (metrics). */
  onRateLimited?: () => void;
  /** Retries of network errors and 5xx, 0.5 s then 1 s apart. @defaultValue 2 */
  transientRetries?: number;
}

export class TeamsSender {
  constructor(private readonly options: TeamsSenderOptions) {}

  post(reference: Partial<ConversationReference>, activity: Partial<Activity>): Promise<TeamsSendResult> {
    return this.call(reference, 'sendToConversation', async (context) => (await context.sendActivity(activity))?.id ?? '');
  }

  update(reference: Partial<ConversationReference>, activityId: string, activity: Partial<Activity>): Promise<TeamsSendResult> {
    return this.call(reference, 'updateActivity', async (context) => {
      await context.updateActivity({ ...activity, id: activityId, conversation: context.activity.conversation });
      return activityId;
    });
  }

  private async call(reference: Partial<ConversationReference>, method: string, work: (context: TurnContext) => Promise<string>): Promise<TeamsSendResult> {
    const { pacer, logger } = this.options;
    const conversation = reference.conversation?.id ?? '';
    let rateLimited = 0;
    let transient = 0;
    for (;;) {
      await pacer.take(conversation);
      const outcome = await this.attempt(reference, work);
      if (outcome.ok) return { ok: true, activityId: outcome.id };
      const status = statusOf(outcome.error);
      if (status === 429) {
        this.options.onRateLimited?.();
        const retryAfter = retryAfterOf(outcome.error) ?? 2 ** rateLimited;
        if (++rateLimited > (this.options.maxRateLimitWaits ?? 5) || retryAfter > (this.options.maxRetryAfterSec ?? 120)) throw outcome.error;
        logger.info({ conversation, method, retryAfter }, 'Teams rate-limited a call; waiting before trying again');
        pacer.holdOff(conversation, retryAfter * 1_000);
        continue;
      }
      if (status !== undefined && status >= 400 && status < 500) return { ok: false, error: codeOf(outcome.error, status) };
      if (++transient > (this.options.transientRetries ?? 2)) throw outcome.error;
      logger.warn({ conversation, method, status, err: messageOf(outcome.error) }, 'Teams call failed; retrying');
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** (transient - 1)));
    }
  }

  /** One try. Errors are caught inside the turn: the adapter would hand them to onTurnError and swallow them. */
  private async attempt(reference: Partial<ConversationReference>, work: (context: TurnContext) => Promise<string>): Promise<{ ok: true; id: string } | { ok: false; error: unknown }> {
    let outcome: { ok: true; id: string } | { ok: false; error: unknown } = { ok: false, error: new Error('the turn did not run') };
    try {
      await this.options.adapter.continueConversationAsync(this.options.appId, reference, async (context) => {
        try {
          outcome = { ok: true, id: await work(context) };
        } catch (error) {
          outcome = { ok: false, error };
        }
      });
    } catch (error) {
      outcome = { ok: false, error };
    }
    return outcome;
  }
}

function statusOf(err: unknown): number | undefined {
  const e = err as { statusCode?: unknown; response?: { status?: unknown } } | null;
  const status = e?.statusCode ?? e?.response?.status;
  return typeof status === 'number' ? status : undefined;
}

function retryAfterOf(err: unknown): number | undefined {
  const headers = (err as { response?: { headers?: { get?: (name: string) => string | undefined } } } | null)?.response?.headers;
  const value = Number(headers?.get?.('retry-after'));
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The connector's own error code when it sent one (`BotNotInConversationRoster`, `ConversationBlockedByUser`), else `http_<status>`. */
function codeOf(err: unknown, status: number): string {
  const body = (err as { response?: { bodyAsText?: string; parsedBody?: unknown } } | null)?.response;
  const parsed = (body?.parsedBody ?? safeJson(body?.bodyAsText)) as { error?: { code?: unknown } } | undefined;
  const code = parsed?.error?.code;
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,80}$/.test(code) ? code : `http_${status}`;
}

function safeJson(text: string | undefined): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
