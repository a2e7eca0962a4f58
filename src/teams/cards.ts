/**
 * Adaptive Cards 1.5 for the request card of notify/request-view.ts: the same messages as slack/blocks.ts (approval
 * card, the requester's copy, "expires soon", one-line notes) plus the revealed credential and short refusals.
 * Plain JSON objects, no library at runtime. The `Action.Execute` verbs, the input ids and `data.requestId` are the
 * contract with the invoke handler. User text is markdown-escaped (TextBlocks render a markdown subset) and clipped;
 * a credential goes in TextRuns, which render no markdown, so a `_` in a password is never eaten.
 */
import type { RevealedCredential } from '../core/reveal-credential.ts';
import type { DigestView } from '../notify/digest-view.ts';
import type { CardAction, RequestCard } from '../notify/request-view.ts';
import { escape as escapeMessage } from './replies.ts';

export const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
/** Action.Execute verbs: the contract with the invoke handler. */
export const VERB = {
  approve: 'stint.approve',
  deny: 'stint.deny',
  done: 'stint.done',
  extend: 'stint.extend',
  reveal: 'stint.reveal',
  review: 'stint.review',
  refresh: 'stint.refresh',
} as const;
export type Verb = (typeof VERB)[keyof typeof VERB];
/** Input.Text id in the Deny form. */
export const DENY_REASON_INPUT = 'reason';
/** Input.Text id in the Acknowledge review form (optional). */
export const REVIEW_COMMENT_INPUT = 'reviewComment';
/** The approver's authenticator code, where approving needs step-up (issue 12). */
export const MFA_CODE_INPUT = 'mfaCode';
/** Input.ChoiceSet id in the Extend form. */
export const EXTEND_DURATION_INPUT = 'duration';

type Json = Record<string, unknown>;

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  version: '1.5';
  $schema: string;
  body: Json[];
  actions?: Json[];
  refresh?: { action: Json; userIds?: string[] };
  msteams?: { width: 'Full' };
}

export interface CardOptions {
  /** Teams user MRIs (`29:…`) whose clients fetch a personalised copy (refresh.userIds; at most 60 are kept). Empty/absent: no refresh block. */
  refreshUserIds?: string[];
  /** A line shown above everything (a refused click: "⛔ You cannot approve your own request"), colour attention. */
  notice?: string;
  /**
   * Step-up can also be done by signing in again (OIDC re-login, issue 12): the approval code field is optional, and
   * with `signInUrl` (the link a refusal handed this person) the card opens it from a "Sign in again" button.
   */
  signIn?: boolean;
  signInUrl?: string;
}

const SCHEMA = 'http://adaptivecards.io/schemas/adaptive-card.json';
/** Teams refreshes a card automatically for at most 60 users. */
const REFRESH_USERS_MAX = 60;
const FACT_VALUE_MAX = 1000;
const COMMENT_MAX = 300;
const TEXT_MAX = 2000;
const TITLE_MAX = 150;
const EXTEND_CHOICES = [
  { title: '30 minutes', value: '30m' },
  { title: '1 hour', value: '1h' },
  { title: '2 hours', value: '2h' },
  { title: '4 hours', value: '4h' },
];

const EMOJI: Record<RequestCard['status'], string> = {
  PENDING: '⏳',
  APPROVED: '✅',
  ACTIVE: '🟢',
  REVOKING: '⚠️',
  REVOKED: '🔒',
  GRANT_FAILED: '❌',
  DENIED: '🚫',
  CANCELLED: '✖️',
  TIMED_OUT: '⏰',
};

/** For channels and approvers: the facts, approvals so far, state, and Approve / Deny while the viewer may. */
export function approvalCard(card: RequestCard, options: CardOptions = {}): AdaptiveCard {
  const body = [...noticeBlock(options.notice), title(card.title), ...requestBody(card, card.facts)];
  const signIn = options.signInUrl ? [{ type: 'Action.OpenUrl', title: 'Sign in again', url: options.signInUrl }] : [];
  return adaptiveCard(body, [...signIn, ...cardActions(card, ['approve', 'deny', 'acknowledge'], options)], refreshFor(card.requestId, options.refreshUserIds));
}

/** The requester's own copy: what they asked for, where it stands, and Done / Extend / Reveal while it is active. */
export function requesterCard(card: RequestCard, options: CardOptions = {}): AdaptiveCard {
  const facts = card.facts.filter((f) => f.label !== 'Requester' && f.label !== 'Risk');
  const body = [...noticeBlock(options.notice), title(`Your request: ${subject(card)}`), ...requestBody(card, facts)];
  return adaptiveCard(body, cardActions(card, ['done', 'extend', 'reveal']), refreshFor(card.requestId, options.refreshUserIds));
}

/** "Your access ends in 10 minutes", with Extend (the duration form) and Done. */
export function expiringCard(card: RequestCard, minutesLeft: number): AdaptiveCard {
  const line = `⏳ Your access to **${escapeText(subject(card))}** ends in **${minutesLeft} minute${minutesLeft === 1 ? '' : 's'}**. Extend it, or say you are done.`;
  return adaptiveCard([text(line), idLine(card.requestId)], [extendAction(card.requestId, 'positive'), doneAction(card.requestId)]);
}

/** A short markdown message to the requester after a transition (their card copy is updated as well). */
export function requesterNote(card: RequestCard, note?: string): string {
  const extra = note ? `\n\n${escapeMessage(note)}` : '';
  return `${EMOJI[card.status]} Your request for **${escapeMessage(subject(card))}** (\`${card.requestId}\`): ${escapeMessage(card.stateLine)}${extra}`;
}

/** The credentials of a reveal, to the requester only: never stored, so the card says it is shown once. */
export function credentialCard(requestId: string, credentials: RevealedCredential[]): AdaptiveCard {
  const blocks = credentials.flatMap((c): Json[] => [
    text(escapeText(c.resourceId), { weight: 'Bolder', spacing: 'Medium', separator: true }),
    literal('Username', c.username),
    literal('Password', c.password),
    text(`Expires ${utc(c.expiresAt)}`, { isSubtle: true, spacing: 'Small' }),
    ...(c.hint ? [literal('Connect', c.hint)] : []),
  ]);
  const body = [
    text('🔑 Your credentials', { size: 'Medium', weight: 'Bolder' }),
    ...blocks,
    text('Shown once and not stored by Stint: copy it now. Reveal again for a new password (the old one stops working).', { isSubtle: true }),
    idLine(requestId),
  ];
  return adaptiveCard(body);
}

/**
 * The approver's daily digest: one entry per waiting request, oldest first. No buttons: an Action.Execute answer
 * replaces the card it was clicked on, and one request's card must not replace the whole digest — `pending` sends
 * each card with Approve / Deny.
 */
export function digestCard(digest: DigestView): AdaptiveCard {
  const entries = digest.entries.flatMap((e): Json[] => [
    text(`**${escapeText(clip(e.summary, TITLE_MAX))}**`, { spacing: 'Medium', separator: true }),
    text(escapeText(clip(e.reason, COMMENT_MAX)), { spacing: 'None' }),
    text(`${escapeText(e.status)} · \`${e.requestId}\``, { size: 'Small', isSubtle: true, spacing: 'None' }),
  ]);
  const more = digest.more > 0 ? `…and ${digest.more} more. ` : '';
  return adaptiveCard([
    title(`🗂️ ${digest.title}`),
    ...entries,
    text(`${more}Send \`pending\` to get each card with Approve and Deny.`, { isSubtle: true, spacing: 'Medium' }),
  ]);
}

/** A one-block card answering an invoke (a refused click, an error). `text` is plain: it is escaped here. */
export function messageCard(message: string, requestId?: string): AdaptiveCard {
  return adaptiveCard([text(escapeText(clip(message, TEXT_MAX))), ...(requestId ? [idLine(requestId)] : [])]);
}

export function cardAttachment(card: AdaptiveCard): { contentType: string; content: AdaptiveCard } {
  return { contentType: CARD_CONTENT_TYPE, content: card };
}

function adaptiveCard(body: Json[], actions: Json[] = [], refresh?: AdaptiveCard['refresh']): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    version: '1.5',
    $schema: SCHEMA,
    body,
    ...(actions.length > 0 ? { actions } : {}),
    ...(refresh ? { refresh } : {}),
    msteams: { width: 'Full' },
  };
}

/** Banner, facts, approvals so far, the state line and the request id: what both card copies share. */
function requestBody(card: RequestCard, facts: RequestCard['facts']): Json[] {
  return [
    ...(card.banner ? [text(`🚨 ${escapeText(card.banner)}`, { color: 'Attention', weight: 'Bolder' })] : []),
    { type: 'FactSet', facts: facts.map((f) => ({ title: f.label, value: escapeText(clip(f.value, FACT_VALUE_MAX)) })) },
    ...approvalLines(card),
    text(`${EMOJI[card.status]} ${escapeText(clip(card.stateLine, TEXT_MAX))}`, { weight: 'Bolder', isSubtle: false, spacing: 'Medium' }),
    ...(card.reviewLine ? [reviewText(card)] : []),
    idLine(card.requestId),
  ];
}

function approvalLines(card: RequestCard): Json[] {
  if (card.approvals.length === 0) return [];
  // Times relative to the latest decision: its day is implied, earlier days are spelled out.
  const latest = new Date(Math.max(...card.approvals.map((a) => Date.parse(a.at))));
  return card.approvals.map((a) => {
    const verdict = a.verdict === 'approve' ? '✅' : '❌';
    const verb = a.verdict === 'approve' ? 'approved' : 'denied';
    const comment = a.comment ? ` — ${escapeText(clip(a.comment, COMMENT_MAX))}` : '';
    return text(`${verdict} **${escapeText(a.personId)}** ${verb} ${when(new Date(a.at), latest)}${comment}`, { spacing: 'Small' });
  });
}

/** The card's actions that this variant offers, in the card's order; Slack filters the same way. */
function cardActions(card: RequestCard, offered: CardAction[], options: CardOptions = {}): Json[] {
  const build: Record<CardAction, (requestId: string) => Json> = {
    approve: (requestId) => (card.approveNeedsStepUp ? stepUpApproveAction(requestId, options.signIn === true) : execute(VERB.approve, 'Approve', requestId, 'positive')),
    deny: denyAction,
    done: doneAction,
    extend: (requestId) => extendAction(requestId),
    reveal: (requestId) => execute(VERB.reveal, 'Reveal credentials', requestId),
    acknowledge: reviewAction,
  };
  return card.actions.filter((a) => offered.includes(a)).map((a) => build[a](card.requestId));
}

function execute(verb: Verb, title: string, requestId: string, style?: 'positive' | 'destructive'): Json {
  return { type: 'Action.Execute', verb, title, ...(style ? { style } : {}), data: { requestId } };
}

function doneAction(requestId: string): Json {
  return execute(VERB.done, 'Done, remove access', requestId, 'positive');
}

/**
 * Approve with the code from the approver's authenticator typed in the card (Teams has no modal to ask for it); where
 * signing in again also does, the code is optional (Approve without it answers with the sign-in link).
 */
function stepUpApproveAction(requestId: string, signIn: boolean): Json {
  const code = {
    type: 'Input.Text',
    id: MFA_CODE_INPUT,
    label: signIn
      ? 'Code from your authenticator app, or leave it empty and sign in again (this approval needs your second factor)'
      : 'Code from your authenticator app (this approval needs your second factor)',
    isRequired: !signIn,
    errorMessage: 'Type the 6 digits your app shows for Stint',
    maxLength: 8,
  };
  return { ...showCard('Approve…', code, execute(VERB.approve, 'Approve', requestId, 'positive')), style: 'positive' };
}

function denyAction(requestId: string): Json {
  const reason = {
    type: 'Input.Text',
    id: DENY_REASON_INPUT,
    label: 'Reason (the requester sees it)',
    isMultiline: true,
    isRequired: true,
    errorMessage: 'Say why you deny it',
    maxLength: 500,
  };
  return showCard('Deny…', reason, execute(VERB.deny, 'Deny', requestId, 'destructive'));
}

/** Where the break-glass review stands; said in colour to a reviewer who still has to act. */
function reviewText(card: RequestCard): Json {
  const needed = card.actions.includes('acknowledge');
  const emoji = needed ? '🔎' : card.reviewLine!.startsWith('Reviewed') ? '✅' : '⏳';
  return text(`${emoji} ${escapeText(clip(card.reviewLine!, TEXT_MAX))}`, needed ? { color: 'Warning', weight: 'Bolder' } : { spacing: 'Small' });
}

/** Acknowledge review, with an optional comment typed in the card (like Deny's reason, but not required). */
function reviewAction(requestId: string): Json {
  const comment = {
    type: 'Input.Text',
    id: REVIEW_COMMENT_INPUT,
    label: 'Comment (optional: what you checked; it goes into the audit log)',
    isMultiline: true,
    isRequired: false,
    maxLength: 2000,
  };
  return { ...showCard('Acknowledge review…', comment, execute(VERB.review, 'Acknowledge', requestId, 'positive')), style: 'positive' };
}

function extendAction(requestId: string, style?: 'positive'): Json {
  const duration = {
    type: 'Input.ChoiceSet',
    id: EXTEND_DURATION_INPUT,
    label: 'Extend by',
    choices: EXTEND_CHOICES,
    isMultiSelect: false,
    style: 'compact',
    value: '1h',
  };
  return { ...showCard('Extend…', duration, execute(VERB.extend, 'Extend', requestId)), ...(style ? { style } : {}) };
}

function showCard(title: string, input: Json, submit: Json): Json {
  return { type: 'Action.ShowCard', title, card: { type: 'AdaptiveCard', body: [input], actions: [submit] } };
}

function refreshFor(requestId: string, userIds: string[] = []): AdaptiveCard['refresh'] {
  if (userIds.length === 0) return undefined;
  return { action: execute(VERB.refresh, 'Refresh', requestId), userIds: userIds.slice(0, REFRESH_USERS_MAX) };
}

function noticeBlock(notice: string | undefined): Json[] {
  return notice ? [text(escapeText(clip(notice, TEXT_MAX)), { color: 'Attention', weight: 'Bolder' })] : [];
}

function title(value: string): Json {
  return { type: 'TextBlock', text: escapeText(clip(value, TITLE_MAX)), size: 'Large', weight: 'Bolder', wrap: true };
}

function text(value: string, style: Json = {}): Json {
  return { type: 'TextBlock', text: value, wrap: true, ...style };
}

function idLine(requestId: string): Json {
  return text(`Request \`${requestId}\``, { size: 'Small', isSubtle: true, spacing: 'Medium' });
}

/** A label and a value shown exactly as it is: a TextRun renders no markdown, so nothing needs escaping. */
function literal(label: string, value: string): Json {
  return {
    type: 'RichTextBlock',
    inlines: [
      { type: 'TextRun', text: `${label}: `, isSubtle: true },
      { type: 'TextRun', text: value, fontType: 'Monospace' },
    ],
  };
}

/** What the request is for: its resource ids. */
function subject(card: RequestCard): string {
  return card.facts.find((f) => f.label === 'Resource' || f.label === 'Resources')?.value ?? card.requestId;
}

/** `14:02 UTC` on the reference's day, `2026-11-22 14:02 UTC` on another. */
function when(at: Date, reference: Date): string {
  const full = utc(at);
  return full.slice(0, 10) === reference.toISOString().slice(0, 10) ? full.slice(11) : full;
}

function utc(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * Backslash-escapes what the Adaptive Cards markdown subset would read as markup: emphasis, code, strike, link
 * brackets everywhere, `#` and `>` at a line start. Not `(` `)`: without `[…]` they make no link, and Teams mobile
 * clients show the backslash (MicrosoftDocs/msteams-docs#5793), so "alice (alice@example.com)" stays clean.
 */
function escapeText(value: string): string {
  return value.replace(/([\\*_[\]~`])/g, '\\$1').replace(/^(\s*)([#>])/gm, '$1\\$2');
}

/** Cuts plain text to `max` characters with "…", never inside a surrogate pair. Escape after clipping. */
function clip(value: string, max: number): string {
  const chars = [...value];
  return chars.length <= max ? value : `${chars.slice(0, max - 1).join('')}…`;
}
