/**
 * Answers only the person who clicked sees (DESIGN.md section 6: refusals are ephemeral and say what to do). A click
 * on a message is answered with `chat.postEphemeral` in its channel, else through the payload's response_url; the
 * Home tab has neither and is re-published instead (home.ts). A credential goes out through a client that logs
 * nothing: Bolt's own client writes request bodies to the debug log (invariant 6: never in a log).
 */
import { randomBytes } from 'node:crypto';
import { webApi, type BlockAction, type RespondFn, type types } from '@slack/bolt';
import type { Logger } from 'pino';
import { isStintError } from '../domain/errors.ts';
import { errorReply } from './replies.ts';

export interface ClickOrigin {
  userId: string;
  channelId: string | undefined;
  responseUrl: string | undefined;
  /** The click came from the App Home tab (no channel, no response_url). */
  home: boolean;
}

export interface EphemeralMessage {
  text: string;
  blocks?: types.KnownBlock[];
}

export function originOf(body: BlockAction): ClickOrigin {
  return {
    userId: body.user.id,
    channelId: body.channel?.id ?? (typeof body.container.channel_id === 'string' ? body.container.channel_id : undefined),
    responseUrl: body.response_url || undefined,
    home: body.view?.type === 'home',
  };
}

/** Whether an ephemeral answer can reach the clicker at all (a Home tab click cannot get one). */
export function canWhisper(origin: ClickOrigin): boolean {
  return Boolean(origin.channelId || origin.responseUrl);
}

/** Tells the clicker, and only them; `client` is Bolt's (or `quietClient(...)` for a secret). */
export async function whisper(client: webApi.WebClient, respond: RespondFn | undefined, origin: ClickOrigin, message: EphemeralMessage): Promise<void> {
  if (origin.channelId) {
    try {
      await client.chat.postEphemeral({ channel: origin.channelId, user: origin.userId, text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) });
      return;
    } catch (err) {
      // Not in that channel any more, or the channel is gone: the response_url still reaches the clicker.
      if (!origin.responseUrl || !respond) throw err;
    }
  }
  if (origin.responseUrl && respond) {
    await respond({ response_type: 'ephemeral', replace_original: false, text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) });
  }
}

const SILENT: webApi.Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => webApi.LogLevel.ERROR,
  setName: () => undefined,
};
const quiet = new WeakMap<webApi.WebClient, webApi.WebClient>();

/** The same workspace and API URL as `client`, logging nothing; retries capped so a click is not held for long. */
export function quietClient(client: webApi.WebClient): webApi.WebClient {
  let found = quiet.get(client);
  if (!found) {
    found = new webApi.WebClient(client.token, { slackApiUrl: client.slackApiUrl, logger: SILENT, timeout: 10_000, retryConfig: { retries: 2 } });
    quiet.set(client, found);
  }
  return found;
}

/** A refusal says what to do next; an unexpected failure is logged and shows only an id to quote. */
export function failureText(err: unknown, logger: Logger, what: string): string {
  const incident = randomBytes(4).toString('hex');
  if (!isStintError(err)) logger.error({ err, incident }, what);
  return errorReply(err, incident);
}

/** A direct message from the app (the requester's confirmation when no channel is at hand). Never a secret. */
export async function directMessage(client: webApi.WebClient, slackUserId: string, text: string): Promise<void> {
  await client.chat.postMessage({ channel: slackUserId, text });
}
