/**
 * `@Stint <verb> …` messages (DESIGN.md section 6): the same verbs as Slack's `/jit`, parsed by the same parser,
 * each calling the same use case as REST and the CLI, answered with one text reply. Pure of botbuilder: takes the
 * message text and the sender's AAD object id, returns the reply.
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

/** The policy person whose `teams` id is this AAD object id (disabled people are nobody). */
export function personOfTeamsUser(core: CorePorts, aadObjectId: string | undefined): string | null {
  if (!aadObjectId) return null;
  for (const person of core.policy.current().people.values()) if (person.teams === aadObjectId && !person.disabled) return person.id;
  return null;
}

export async function answerMessage(text: string, aadObjectId: string | undefined, deps: MessageDeps): Promise<string> {
  const parsed = parseCommand(stripMentions(text));
  if (!parsed.ok) return parsed.usage.replace(USAGE, TEAMS_USAGE).replaceAll('/jit', '@Stint');
  if (parsed.command.verb === 'help' || parsed.command.verb === 'modal') return TEAMS_USAGE;
  const personId = personOfTeamsUser(deps.core, aadObjectId);
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
