/**
 * App Home (DESIGN.md section 6): my recent requests with their status, my active grants with Done and Extend,
 * and the requests waiting for my decision with Approve and Deny. Published on `app_home_opened`, and again after a
 * button on it is used (interactions.ts), topped by a line saying what that click did. Within Block Kit's limits:
 * at most 8 + 5 + 10 requests (46 blocks of 50), action_ids numbered so each is unique in the view.
 */
import type { App, types, webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { listRequests } from '../core/list-requests.ts';
import type { CorePorts } from '../core/ports.ts';
import type { RequestView } from '../core/present-request.ts';
import { homeActionId, type ActionName } from './action-ids.ts';
import { slackActor } from './commands.ts';
import { unknownUserMessage, type SlackIdentity } from './identity.ts';
import { requestLine } from './replies.ts';

export interface HomeDeps {
  core: Pick<CorePorts, 'store' | 'policy' | 'clock'>;
  identity: SlackIdentity;
  logger: Logger;
}

export interface HomeContent {
  mine: RequestView[];
  active: RequestView[];
  awaiting: RequestView[];
  /** More requests wait than are shown. */
  moreAwaiting: boolean;
  /** What the last click on the Home tab did (mrkdwn). */
  notice?: string;
}

export const HOME_LIMITS = { mine: 8, active: 5, awaiting: 10 } as const;
const SECTION_MAX = 3000;
const REASON_MAX = 150;

export function registerHome(app: App, deps: HomeDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    await publishHome(client, event.user, deps).catch((err: unknown) => deps.logger.error({ err }, 'could not publish the App Home'));
  });
}

export async function publishHome(client: webApi.WebClient, slackUserId: string, deps: HomeDeps, notice?: string): Promise<void> {
  const personId = await deps.identity.personOf(slackUserId).catch(() => null);
  let view: types.HomeView;
  if (!personId) {
    view = { type: 'home', blocks: [section(unknownUserMessage(slackUserId))] };
  } else {
    const actor = slackActor(personId);
    const [mine, active, awaiting] = await Promise.all([
      listRequests(actor, { view: 'mine', limit: HOME_LIMITS.mine }, deps.core),
      listRequests(actor, { view: 'mine', statuses: ['ACTIVE'], limit: HOME_LIMITS.active }, deps.core),
      listRequests(actor, { view: 'awaiting', limit: HOME_LIMITS.awaiting + 1 }, deps.core),
    ]);
    view = homeView({ mine, active, awaiting: awaiting.slice(0, HOME_LIMITS.awaiting), moreAwaiting: awaiting.length > HOME_LIMITS.awaiting, ...(notice ? { notice } : {}) });
  }
  await client.views.publish({ user_id: slackUserId, view });
}

export function homeView(content: HomeContent): types.HomeView {
  const blocks: types.KnownBlock[] = [];
  let n = 0;
  const buttons = (view: RequestView, ...pairs: Array<[ActionName, string, 'primary' | 'danger' | undefined]>): types.ActionsBlock => ({
    type: 'actions',
    elements: pairs.map(([action, label, style]) => ({
      type: 'button',
      action_id: homeActionId(action, ++n),
      text: { type: 'plain_text', text: label },
      value: view.id,
      ...(style ? { style } : {}),
    })),
  });

  if (content.notice) blocks.push(section(content.notice));
  blocks.push(header('Your requests'));
  if (content.mine.length === 0) blocks.push(context('No requests yet. `/jit` opens the request form.'));
  for (const view of content.mine.slice(0, HOME_LIMITS.mine)) blocks.push(section(requestBrief(view)));

  blocks.push({ type: 'divider' }, header('Your active grants'));
  if (content.active.length === 0) blocks.push(context('No access right now.'));
  for (const view of content.active.slice(0, HOME_LIMITS.active)) {
    blocks.push(section(requestBrief(view)), buttons(view, ['done', 'Done, remove access', undefined], ['extend', 'Extend', undefined]));
  }

  blocks.push({ type: 'divider' }, header('Waiting for you'));
  if (content.awaiting.length === 0) blocks.push(context('Nothing is waiting for your decision or review.'));
  for (const view of content.awaiting.slice(0, HOME_LIMITS.awaiting)) {
    // A break-glass use waits for its review, anything else for a decision.
    if (view.status !== 'PENDING' && view.review?.status === 'pending') blocks.push(section(`:mag: Break-glass review needed: ${requestBrief(view)}`), buttons(view, ['acknowledge', 'Acknowledge review', 'primary']));
    else blocks.push(section(requestBrief(view)), buttons(view, ['approve', 'Approve', 'primary'], ['deny', 'Deny', 'danger']));
  }
  if (content.moreAwaiting) blocks.push(context('More requests are waiting: `/jit pending` lists them all.'));
  return { type: 'home', blocks };
}

/** A request's one-liner with its reason cut short, for views and answers that must stay small. */
export function requestBrief(view: RequestView): string {
  const reason = view.reason.length > REASON_MAX ? `${view.reason.slice(0, REASON_MAX - 1)}…` : view.reason;
  return requestLine({ ...view, reason });
}

function section(text: string): types.SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: text.length > SECTION_MAX ? `${text.slice(0, SECTION_MAX - 1)}…` : text } };
}

function header(text: string): types.HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text } };
}

function context(text: string): types.ContextBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}
