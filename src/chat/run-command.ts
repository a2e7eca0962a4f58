/**
 * The chat verbs (`/jit …` in Slack, `@Stint …` in Teams) run the same use cases as REST and the CLI, here once
 * for both surfaces; each surface gives only its formatting (mrkdwn vs Teams markdown, its usage text).
 */
import { acknowledgeReview, alreadyReviewedText } from '../core/acknowledge-review.ts';
import { activateGrant } from '../core/activate-grant.ts';
import type { Actor } from '../core/actor.ts';
import { cancelRequest } from '../core/cancel-request.ts';
import { createRequest } from '../core/create-request.ts';
import { decideRequest } from '../core/decide-request.ts';
import { endGrant } from '../core/end-grant.ts';
import { extendGrant } from '../core/extend-grant.ts';
import { getRequest, listRequests } from '../core/list-requests.ts';
import type { CorePorts, GrantPorts } from '../core/ports.ts';
import type { RequestView } from '../core/present-request.ts';
import type { ChatCommand } from './parse-command.ts';

export interface ReplyFormat {
  line(view: RequestView): string;
  list(title: string, views: RequestView[], empty: string): string;
  /** Between the paragraphs of one reply. */
  paragraph: string;
  /** Before each warning. */
  info: string;
  usage: string;
  /** How a person asks for access on this surface, e.g. `/jit request <resource> <duration> <reason…>`. */
  requestForm: string;
}

export async function runChatCommand(actor: Actor, command: ChatCommand, ports: { core: CorePorts; grants: GrantPorts }, format: ReplyFormat): Promise<string> {
  const { core, grants } = ports;
  const show = (id: string) => getRequest(actor, id, core);
  switch (command.verb) {
    case 'request':
    case 'breakglass': {
      const breakGlass = command.verb === 'breakglass';
      const result = await createRequest(actor, { identityId: actor.id, scopes: [command.resource], duration: command.duration, reason: command.reason, breakGlass, narrowing: command.narrowing ?? null, mfaCode: command.mfaCode ?? null }, core);
      // Break-glass is granted inside the command, as over REST: it must work with the workers down.
      if (breakGlass && result.request.status === 'APPROVED') await activateGrant(result.request.id, grants);
      const view = await show(result.request.id);
      const lead = view.status === 'PENDING' ? 'Requested' : view.status === 'DENIED' ? 'Denied' : 'Approved';
      const why = result.deniedBecause ? `${format.paragraph}${result.deniedBecause}` : '';
      return [`${lead}: ${format.line(view)}${why}`, ...result.warnings.map((w) => `${format.info}${w}`)].join(format.paragraph);
    }
    case 'list':
      return format.list('Your requests', await listRequests(actor, { view: 'mine', limit: 10 }, core), `You have no requests yet. \`${format.requestForm}\` asks for one.`);
    case 'pending':
      return format.list('Waiting for you', await listRequests(actor, { view: 'awaiting', limit: 20 }, core), 'Nothing is waiting for your approval or review.');
    case 'review': {
      const result = await acknowledgeReview(actor, { requestId: command.id, comment: command.comment || null }, core);
      return result.changed ? `Review acknowledged: ${format.line(await show(command.id))}` : `${alreadyReviewedText(result.request)}: ${format.line(await show(command.id))}`;
    }
    case 'approve':
    case 'deny': {
      const result = await decideRequest(actor, { requestId: command.id, verdict: command.verb, comment: command.comment || null, mfaCode: command.mfaCode ?? null }, core);
      const view = await show(result.request.id);
      return `${result.changed ? (command.verb === 'approve' ? 'Approved' : 'Denied') : 'You had already decided'}: ${format.line(view)}`;
    }
    case 'cancel':
      await cancelRequest(actor, { requestId: command.id }, core);
      return `Cancelled: ${format.line(await show(command.id))}`;
    case 'done':
    case 'revoke':
      await endGrant(actor, { requestId: command.id, cause: command.verb === 'done' ? 'done' : 'revoked' }, grants);
      return `${command.verb === 'done' ? 'Done, access removed' : 'Revoked'}: ${format.line(await show(command.id))}`;
    case 'extend':
      await extendGrant(actor, { requestId: command.id, duration: command.duration }, grants);
      return `Extended: ${format.line(await show(command.id))}`;
    case 'help':
    case 'modal':
      return format.usage;
  }
}
