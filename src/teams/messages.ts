/**
 * `@Stint <verb> …` messages (DESIGN.md section 6): the same verbs as Slack's `/jit`, parsed by the same parser,
 * each calling the same use case as REST and the CLI, answered with one text reply. Pure of botbuilder: takes the
 * message text and a way to resolve the sender, returns the reply.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Actor } from '../core/actor.ts';
import type { CorePorts, GrantPorts } from '../core/ports.ts';
import { isStintError } from '../domain/errors.ts';
import { parseCommand, USAGE } from '../chat/parse-command.ts';
import { runChatCommand, type ReplyFormat } from '../chat/run-command.ts';
import { errorReply, requestLine, requestList, TEAMS_USAGE, unknownUserMessage } from './replies.ts';

export interface MessageDeps {
  core: CorePorts;
  grants: GrantPorts;
  logger: Logger;
}

export function teamsActor(personId: string): Actor {
  return { id: personId, kind: 'person', scopes: ['request', 'approve'], via: 'teams' };
}

/** Removes `<at>…</at>` mentions (Teams puts the bot's name there) and the HTML entities Teams escapes. */
export function stripMentions(text: string): string {
  return text
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * `personOf` resolves the sender only when the message is a command (help and usage need nobody). Returns the
 * markdown reply.
 */
export async function answerMessage(text: string, personOf: () => Promise<string | null>, aadObjectId: string | undefined, deps: MessageDeps): Promise<string> {
  const parsed = parseCommand(stripMentions(text));
  if (!parsed.ok) return parsed.usage.replace(USAGE, TEAMS_USAGE).replaceAll('/jit', '@Stint');
  if (parsed.command.verb === 'help' || parsed.command.verb === 'modal') return TEAMS_USAGE;
  const personId = await personOf();
  if (!personId) return unknownUserMessage(aadObjectId);
  try {
    return await runChatCommand(teamsActor(personId), parsed.command, deps, TEAMS_FORMAT);
  } catch (err) {
    const incident = randomBytes(4).toString('hex');
    if (!isStintError(err)) deps.logger.error({ err, incident }, 'Teams message failed');
    return errorReply(err, incident);
  }
}

const TEAMS_FORMAT: ReplyFormat = {
  line: requestLine,
  list: requestList,
  paragraph: '\n\n',
  info: 'ℹ️ ',
  usage: TEAMS_USAGE,
  requestForm: '@Stint request <resource> <duration> <reason…>',
};
