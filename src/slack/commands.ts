/**
 * `/jit` verbs (DESIGN.md section 6): parse, ack at once, then do the work and answer with an ephemeral reply
 * through `respond` (the response_url). Every verb calls the same use case as REST and the CLI.
 */
import type { App, RespondFn } from '@slack/bolt';
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
import { parseCommand, USAGE, type SlackCommand } from './parse-command.ts';
import { failureText } from './click-reply.ts';
import { requestLine, requestList } from './replies.ts';
import { unknownUserMessage, type SlackIdentity } from './identity.ts';

export interface CommandDeps {
  core: CorePorts;
  grants: GrantPorts;
  identity: SlackIdentity;
  logger: Logger;
  /** `/jit` with no arguments: opens the request modal (trigger ids live 3 s: called before anything slow). */
  openRequestModal?(triggerId: string, slackUserId: string): Promise<void>;
}

export function slackActor(personId: string): Actor {
  return { id: personId, kind: 'person', scopes: ['request', 'approve'], via: 'slack' };
}

export function registerCommands(app: App, deps: CommandDeps): void {
  app.command('/jit', async ({ command, ack, respond }) => {
    const parsed = parseCommand(command.text ?? '');
    if (!parsed.ok) return ack({ response_type: 'ephemeral', text: parsed.usage });
    if (parsed.command.verb === 'help' || (parsed.command.verb === 'modal' && !deps.openRequestModal)) return ack({ response_type: 'ephemeral', text: USAGE });
    await ack();
    if (parsed.command.verb === 'modal') {
      await deps.openRequestModal!(command.trigger_id, command.user_id).catch((err: unknown) => reply(respond, failureText(err, deps.logger, 'Slack command failed')));
      return;
    }
    const personId = await deps.identity.personOf(command.user_id).catch(() => null);
    if (!personId) return reply(respond, unknownUserMessage(command.user_id));
    try {
      await reply(respond, await run(slackActor(personId), parsed.command, deps));
    } catch (err) {
      await reply(respond, failureText(err, deps.logger, 'Slack command failed'));
    }
  });
}

async function reply(respond: RespondFn, text: string): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, text });
}

async function run(actor: Actor, command: SlackCommand, deps: CommandDeps): Promise<string> {
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
      const why = result.deniedBecause ? `\n${result.deniedBecause}` : '';
      return [`${lead}: ${requestLine(view)}${why}`, ...result.warnings.map((w) => `:information_source: ${w}`)].join('\n');
    }
    case 'list':
      return requestList('Your requests', await listRequests(actor, { view: 'mine', limit: 10 }, core), 'You have no requests yet. `/jit request <resource> <duration> <reason…>` asks for one.');
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
      return USAGE;
  }
}
