/**
 * Plain Teams text (markdown) for the answers to `@Stint …` messages. Cards come later; these are the one-liners
 * a person reads in passing. User text is escaped so it cannot become markup or a mention.
 */
import type { RequestView } from '../core/present-request.ts';
import { formatDuration } from '../domain/duration.ts';
import { isStintError } from '../domain/errors.ts';

export const TEAMS_USAGE = [
  '`@Stint request <resource> <duration> <reason…>` — e.g. `@Stint request prod-orders-db 2h INC-1234 stuck orders`',
  '`@Stint list` — your requests · `@Stint pending` — requests waiting for you',
  '`@Stint approve <id> [comment]` · `@Stint deny <id> <reason>`',
  '`@Stint cancel <id>` · `@Stint done <id>` · `@Stint extend <id> <duration>` · `@Stint revoke <id>`',
  '`@Stint breakglass <resource> <duration> <reason…>` — emergency access, granted at once and loudly reported',
  '`@Stint help` — this list (in a 1:1 chat with Stint the mention is optional)',
].join('\n\n');

export function requestLine(r: RequestView): string {
  const approved = r.approvers.filter((a) => a.status === 'approved').length;
  const progress = r.status === 'PENDING' ? ` — ${approved}/${r.required} approvals` : '';
  const until = r.status === 'ACTIVE' && r.expiresAt ? ` until ${r.expiresAt}` : '';
  const why = r.statusReason ? ` (${escape(r.statusReason)})` : '';
  return `\`${r.id}\` **${r.status}**${r.breakGlass ? ' 🚨 break-glass' : ''} · ${r.scopes.join(', ')} for ${formatDuration(r.duration)}${progress}${until}${why} · _${escape(r.reason)}_`;
}

export function requestList(title: string, views: RequestView[], empty: string): string {
  return views.length === 0 ? empty : [`**${title}**`, ...views.map((v) => `- ${requestLine(v)}`)].join('\n\n');
}

/** A refused command, said plainly; an unexpected failure shows only an id to quote to an admin. */
export function errorReply(err: unknown, incidentId: string): string {
  if (isStintError(err)) return `⛔ ${escape(err.message)} (\`${err.code}\`)`;
  return `⚠️ Something went wrong on our side. Quote \`${incidentId}\` to your Stint admin.`;
}

/** What an unknown Teams user is told: the admin step that fixes it. */
export function unknownUserMessage(aadObjectId: string | undefined): string {
  if (!aadObjectId) return 'Stint could not read your Microsoft Entra ID (AAD object id) from this message; ask a Stint admin for help.';
  return `Stint does not know your Teams account (\`${aadObjectId}\`). Ask a Stint admin to add \`teams: ${aadObjectId}\` to your entry under \`people:\` in the policy file, or to list your verified email domain under \`identity.emailDomains\`.`;
}

export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/([*_`~[\]])/g, '\\$1');
}
