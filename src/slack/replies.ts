/**
 * Slack mrkdwn for the short answers to `/jit` commands (ephemeral replies). Cards are rendered elsewhere;
 * these are one-liners a person reads in passing.
 */
import type { RequestView } from '../core/present-request.ts';
import { formatDuration } from '../domain/duration.ts';
import { isStintError } from '../domain/errors.ts';

export function requestLine(r: RequestView): string {
  const approved = r.approvers.filter((a) => a.status === 'approved').length;
  const progress = r.status === 'PENDING' ? ` — ${approved}/${r.required} approvals` : '';
  const until = r.status === 'ACTIVE' && r.expiresAt ? ` until <!date^${Math.floor(Date.parse(r.expiresAt) / 1000)}^{time}|${r.expiresAt}>` : '';
  const why = r.statusReason ? ` (${r.statusReason})` : '';
  return `\`${r.id}\` *${r.status}*${r.breakGlass ? ' :rotating_light: break-glass' : ''} · ${r.scopes.join(', ')} for ${formatDuration(r.duration)}${progress}${until}${why} · _${escape(r.reason)}_`;
}

export function requestList(title: string, views: RequestView[], empty: string): string {
  return views.length === 0 ? empty : [`*${title}*`, ...views.map((v) => `• ${requestLine(v)}`)].join('\n');
}

/** A refused command, said plainly; an unexpected failure shows only an id to quote to an admin. */
export function errorReply(err: unknown, incidentId: string): string {
  if (isStintError(err)) return `:no_entry_sign: ${escape(err.message)} (\`${err.code}\`)`;
  return `:warning: Something went wrong on our side. Quote \`${incidentId}\` to your Stint admin.`;
}

/** Slack's three control characters; user text must not turn into mentions or links. */
export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
