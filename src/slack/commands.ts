/**
 * `/jit` verbs (DESIGN.md section 6): parse, ack at once, then do the work and answer with an ephemeral reply
 * through `respond` (the response_url). Every verb calls the same use case as REST and the CLI.
 */
import type { App, RespondFn } from '@slack/bolt';
import type { Logger } from 'pino';
import type { Actor } from '../core/actor.ts';
import type { CorePorts, GrantPorts } from '../core/ports.ts';
import { parseCommand, USAGE } from '../chat/parse-command.ts';
import { runChatCommand, type ReplyFormat } from '../chat/run-command.ts';
import { failureText } from './click-reply.ts';
import { requestLine, requestList } from './replies.ts';
import { unknownUserMessage, type SlackIdentity } from './identity.ts';
import { stepUpModal, wantsStepUp } from './step-up-modal.ts';

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
  app.command('/jit', async ({ command, ack, respond, client }) => {
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
      await reply(respond, await runChatCommand(slackActor(personId), parsed.command, deps, SLACK_FORMAT));
    } catch (err) {
      // Step-up (issue 12): ask for the code in a modal, which runs the command again with it. The trigger id lives
      // 3 s; if it is gone, the reply says how to go on.
      if (wantsStepUp(err)) {
        const opened = await client.views.open({ trigger_id: command.trigger_id, view: stepUpModal({ kind: 'command', text: command.text ?? '' }, err) }).then(() => true, () => false);
        if (opened) return;
      }
      await reply(respond, failureText(err, deps.logger, 'Slack command failed'));
    }
  });
}

async function reply(respond: RespondFn, text: string): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, text });
}

export const SLACK_FORMAT: ReplyFormat = {
  line: requestLine,
  list: requestList,
  paragraph: '\n',
  info: ':information_source: ',
  usage: USAGE,
  requestForm: '/jit request <resource> <duration> <reason…>',
};
