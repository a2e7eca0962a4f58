/**
 * Block Kit for the request card of notify/request-view.ts: the approval card (channels and approvers' DMs),
 * the requester's DM variant, the "expires in 10 minutes" DM and the requester's one-line updates. Every
 * message carries a plain `text` fallback. User text is escaped (`&`, `<`, `>`) and shortened so no block
 * passes Slack's limits (3000 characters a section, 2000 a field, 150 a header). The action ids and the
 * button value (the request id) are the contract with the button handlers.
 */
import type { types } from '@slack/bolt';
import type { CardAction, RequestCard } from '../notify/request-view.ts';
import type { DigestView } from '../notify/digest-view.ts';
import { ACTION, listActionId } from './action-ids.ts';
import { escape } from './replies.ts';

type KnownBlock = types.KnownBlock;
type Button = types.Button;

/** The card's buttons by action (one definition: action-ids.ts, which the handlers match on). */
export const ACTION_IDS: Readonly<Record<CardAction, string>> = ACTION;

export interface SlackMessage {
  text: string;
  blocks?: KnownBlock[];
}

const FIELD_VALUE_MAX = 1500;
const SECTION_MAX = 2900;
const COMMENT_MAX = 300;
const HEADER_MAX = 150;

const BUTTONS: Record<CardAction, { label: string; style?: 'primary' | 'danger' }> = {
  approve: { label: 'Approve', style: 'primary' },
  deny: { label: 'Deny', style: 'danger' },
  done: { label: 'Done, remove access', style: 'primary' },
  extend: { label: 'Extend' },
  reveal: { label: 'Reveal credentials' },
  acknowledge: { label: 'Acknowledge review', style: 'primary' },
};

/** For channels and approvers: the facts, risk, approvals so far, state, and Approve / Deny while the viewer may. */
export function approvalCard(card: RequestCard, options: { mention?: string } = {}): SlackMessage {
  const blocks: KnownBlock[] = [header(card.title), ...banner(card), fields(card.facts), ...approvals(card), stateSection(card), ...reviewSection(card)];
  const buttons = card.actions.filter((a) => a === 'approve' || a === 'deny' || a === 'acknowledge');
  if (buttons.length > 0) blocks.push(actions(card.requestId, buttons));
  blocks.push(idContext(card.requestId));
  const lead = options.mention ? `${options.mention} ` : '';
  return { text: clip(`${lead}${card.banner ? ':rotating_light: ' : ''}${escape(card.title)} — ${escape(card.stateLine)}`, SECTION_MAX), blocks };
}

/** The requester's own copy: what they asked for, where it stands, and Done / Extend / Reveal while it is active. */
export function requesterCard(card: RequestCard): SlackMessage {
  const facts = card.facts.filter((f) => f.label !== 'Requester' && f.label !== 'Risk');
  const blocks: KnownBlock[] = [header(`Your request: ${subject(card)}`), ...banner(card), fields(facts), ...approvals(card), stateSection(card), ...reviewSection(card)];
  const buttons = card.actions.filter((a) => a === 'done' || a === 'extend' || a === 'reveal');
  if (buttons.length > 0) blocks.push(actions(card.requestId, buttons));
  blocks.push(idContext(card.requestId));
  return { text: clip(`Your request ${card.requestId}: ${escape(card.stateLine)}`, SECTION_MAX), blocks };
}

/** "Your access ends in 10 minutes", with Extend and Done. */
export function expiringMessage(card: RequestCard, minutesLeft: number): SlackMessage {
  const what = escape(subject(card));
  const line = `:hourglass_flowing_sand: Your access to *${what}* ends in *${minutesLeft} minute${minutesLeft === 1 ? '' : 's'}*. Extend it, or say you are done.`;
  return {
    text: clip(`Your access to ${what} ends in ${minutesLeft} minute${minutesLeft === 1 ? '' : 's'}`, SECTION_MAX),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: clip(line, SECTION_MAX) } },
      actions(card.requestId, ['extend', 'done'], { extend: 'primary' }),
      idContext(card.requestId),
    ],
  };
}

/**
 * The approver's daily digest: per waiting request (oldest first) what it is, why, how long it has waited, and
 * Approve / Deny (numbered action ids: Slack refuses two equal ones in one message).
 */
export function digestMessage(digest: DigestView): SlackMessage {
  const blocks: KnownBlock[] = [header(`:card_index_dividers: ${digest.title}`)];
  for (const [i, e] of digest.entries.entries()) {
    const line = `*${clipEscaped(e.summary, 300)}*\n>${clipEscaped(e.reason, 500)}\n_${escape(e.status)}_ · \`${e.requestId}\``;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(line, SECTION_MAX) } });
    blocks.push({
      type: 'actions',
      block_id: `stint_digest_${e.requestId}`,
      elements: (['approve', 'deny'] as const).map(
        (action): Button => ({ type: 'button', action_id: listActionId(action, i + 1), value: e.requestId, text: { type: 'plain_text', text: BUTTONS[action].label }, style: BUTTONS[action].style! }),
      ),
    });
  }
  const more = digest.more > 0 ? `…and ${digest.more} more. ` : '';
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${more}\`/jit pending\` shows every card.` }] });
  return { text: clip(escape(digest.title), SECTION_MAX), blocks };
}

/** A short line to the requester after a transition (their card copy is updated as well). */
export function requesterNote(card: RequestCard, note?: string): SlackMessage {
  const what = escape(subject(card));
  const extra = note ? `\n${escape(note)}` : '';
  return { text: clip(`${EMOJI[card.status]} Your request for *${what}* (\`${card.requestId}\`): ${escape(card.stateLine)}${extra}`, SECTION_MAX) };
}

const EMOJI: Record<RequestCard['status'], string> = {
  PENDING: ':hourglass:',
  APPROVED: ':white_check_mark:',
  ACTIVE: ':large_green_circle:',
  REVOKING: ':warning:',
  REVOKED: ':lock:',
  GRANT_FAILED: ':x:',
  DENIED: ':no_entry_sign:',
  CANCELLED: ':heavy_multiplication_x:',
  TIMED_OUT: ':alarm_clock:',
};

/** What the request is for: its resource ids. */
function subject(card: RequestCard): string {
  return card.facts.find((f) => f.label === 'Resource' || f.label === 'Resources')?.value ?? card.requestId;
}

function header(title: string): KnownBlock {
  return { type: 'header', text: { type: 'plain_text', text: clip(title, HEADER_MAX), emoji: true } };
}

function banner(card: RequestCard): KnownBlock[] {
  return card.banner ? [{ type: 'section', text: { type: 'mrkdwn', text: `:rotating_light: *${clip(escape(card.banner), SECTION_MAX)}*` } }] : [];
}

function fields(facts: RequestCard['facts']): KnownBlock {
  return { type: 'section', fields: facts.slice(0, 10).map((f) => ({ type: 'mrkdwn' as const, text: `*${escape(f.label)}*\n${clipEscaped(f.value, FIELD_VALUE_MAX)}` })) };
}

function approvals(card: RequestCard): KnownBlock[] {
  if (card.approvals.length === 0) return [];
  const lines = card.approvals.map((a) => {
    const verb = a.verdict === 'approve' ? ':white_check_mark: approved' : ':no_entry_sign: denied';
    const seconds = Math.floor(Date.parse(a.at) / 1000);
    const comment = a.comment ? ` — _${clipEscaped(a.comment, COMMENT_MAX)}_` : '';
    return `*${escape(a.personId)}* ${verb} <!date^${seconds}^{date_short} {time}|${a.at}>${comment}`;
  });
  return [{ type: 'section', text: { type: 'mrkdwn', text: clipLines(lines, SECTION_MAX) } }];
}

function stateSection(card: RequestCard): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: `${EMOJI[card.status]} *${clipEscaped(card.stateLine, SECTION_MAX - 40)}*` } };
}

/** Where the break-glass review stands (and, to a reviewer who has to act, that it is needed). */
function reviewSection(card: RequestCard): KnownBlock[] {
  if (!card.reviewLine) return [];
  const emoji = card.actions.includes('acknowledge') ? ':mag:' : card.reviewLine.startsWith('Reviewed') ? ':white_check_mark:' : ':hourglass:';
  return [{ type: 'section', text: { type: 'mrkdwn', text: `${emoji} ${clipEscaped(card.reviewLine, SECTION_MAX - 40)}` } }];
}

function actions(requestId: string, which: CardAction[], styles: Partial<Record<CardAction, 'primary' | 'danger'>> = {}): KnownBlock {
  const elements = which.map((action): Button => {
    const style = action in styles ? styles[action] : BUTTONS[action].style;
    return { type: 'button', action_id: ACTION_IDS[action], value: requestId, text: { type: 'plain_text', text: BUTTONS[action].label }, ...(style ? { style } : {}) };
  });
  return { type: 'actions', block_id: `stint_actions_${requestId}`, elements };
}

function idContext(requestId: string): KnownBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: `Request \`${requestId}\`` }] };
}

/** Escapes `text` and cuts it so the escaped form fits in `max` characters, never inside an entity or a surrogate pair. */
export function clipEscaped(text: string, max: number): string {
  let out = '';
  for (const ch of text) {
    const piece = escape(ch);
    if (out.length + piece.length > max - 1) return `${out}…`;
    out += piece;
  }
  return out;
}

/** Cuts mrkdwn that is already escaped, without splitting an entity (`&amp;`) or a surrogate pair. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const amp = cut.lastIndexOf('&');
  const safe = amp >= 0 && amp > cut.length - 5 && !cut.slice(amp).includes(';') ? cut.slice(0, amp) : cut;
  return `${safe.replace(/[\uD800-\uDBFF]$/, '')}…`;
}

function clipLines(lines: string[], max: number): string {
  const kept: string[] = [];
  let length = 0;
  for (const [i, line] of lines.entries()) {
    if (length + line.length + 1 > max - 40) {
      kept.push(`…and ${lines.length - i} more`);
      break;
    }
    kept.push(line);
    length += line.length + 1;
  }
  return kept.join('\n');
}
