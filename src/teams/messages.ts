/**
 * `@Stint <verb> …` messages (DESIGN.md section 6): the same verbs as Slack's `/jit`, parsed by the same parser,
 * each calling the same use case as REST and the CLI, answered with one text reply. Pure of botbuilder: takes the
 * message text and the sender's AAD object id, returns the reply.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { activateGrant } from '../core/activate-grant.ts';
import type { Actor } from '../core/actor.ts';
import { cancelRequest } from '../core/cancel-request.ts';
import { createRequest } from '../core/create-request.ts';
import { decideRequest } from '../core/decide-request.ts';
import { endGrant } from '../core/end-grant.ts';
import { extendGrant } from '../core/extend-grant.ts';
import { getRequest, listRequests } from '../core/list-requests.ts';
import type { CorePorts, GrantPorts } from '../core/ports.ts';
import { isStintError } from '../domain/errors.ts';
import { parseCommand, USAGE, type SlackCommand } from '../slack/parse-command.ts';
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
    return await run(teamsActor(personId), parsed.command, deps);
  } catch (err) {
    const incident = randomBytes(4).toString('hex');
    if (!isStintError(err)) deps.logger.error({ err, incident }, 'Teams message failed');
    return errorReply(err, incident);
  }
}

async function run(actor: Actor, command: SlackCommand, deps: MessageDeps): Promise<string> {
  const { core, grants } = deps;
  const show = (id: string) => getRequest(actor, id, core);
  switch (command.verb) {
    case 'request':
    case 'breakglass': {
      const breakGlass = command.verb === 'breakglass';
      const result = await createRequest(actor, { identityId: actor.id, scopes: [command.resource], duration: command.duration, reason: command.reason, breakGlass }, core);
      // Break-glass is granted inside the command, as over REST: it must work with the workers down.
      if (breakGlass && result.request.status === 'APPROVED') await activateGrant(result.request.id, grants);
      const view = await show(result.request.id);
      const lead = view.status === 'PENDING' ? 'Requested' : view.status === 'DENIED' ? 'Denied' : 'Approved';
      const why = result.deniedBecause ? `\n\n${result.deniedBecause}` : '';
      return [`${lead}: ${requestLine(view)}${why}`, ...result.warnings.map((w) => `ℹ️ ${w}`)].join('\n\n');
    }
    case 'list':
      return requestList('Your requests', await listRequests(actor, { view: 'mine', limit: 10 }, core), 'You have no requests yet. `@Stint request <resource> <duration> <reason…>` asks for one.');
    case 'pending':
      return requestList('Waiting for you', await listRequests(actor, { view: 'awaiting', limit: 20 }, core), 'Nothing is waiting for your approval.');
    case 'approve':
    case 'deny': {
      const result = await decideRequest(actor, { requestId: command.id, verdict: command.verb, comment: command.comment || null }, core);
      const view = await show(result.request.id);
      return `${result.changed ? (command.verb === 'approve' ? 'Approved' : 'Denied') : 'You had already decided'}: ${requestLine(view)}`;
    }
    case 'cancel':
      await cancelRequest(actor, { requestId: command.id }, core);
      return `Cancelled: ${requestLine(await show(command.id))}`;
    case 'done':
    case 'revoke':
      await endGrant(actor, { requestId: command.id, cause: command.verb === 'done' ? 'done' : 'revoked' }, grants);
      return `${command.verb === 'done' ? 'Done, access removed' : 'Revoked'}: ${requestLine(await show(command.id))}`;
    case 'extend':
      await extendGrant(actor, { requestId: command.id, duration: command.duration }, grants);
      return `Extended: ${requestLine(await show(command.id))}`;
    case 'help':
    case 'modal':
      return TEAMS_USAGE;
  }
}
