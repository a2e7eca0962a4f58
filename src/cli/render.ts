/** Human output of the CLI; `--json` prints the API's JSON instead. */
import type { RequestView } from '../core/present-request.ts';
import { formatDuration } from '../domain/duration.ts';

export function renderRequest(r: RequestView): string {
  const lines = [
    `${r.id}  ${r.status}${r.breakGlass ? '  BREAK-GLASS' : ''}`,
    `  requester  ${r.identityId}`,
    `  scopes     ${r.scopes.join(', ')}`,
    `  duration   ${formatDuration(r.duration)}`,
    `  reason     ${r.reason}${r.ticket ? `  (ticket ${r.ticket})` : ''}`,
    `  risk       ${r.riskScore}${r.riskSignals.length ? ` (${r.riskSignals.join(', ')})` : ''}`,
    `  requested  ${r.requestedAt}`,
  ];
  if (r.autoApproved) lines.push(`  approved   automatically by ${r.decidedBy}`);
  else if (r.required > 0) {
    const approved = r.approvers.filter((a) => a.status === 'approved').length;
    lines.push(`  approvals  ${approved}/${r.required}`);
    for (const a of r.approvers) lines.push(`    ${a.status.padEnd(8)} ${a.email}${a.decidedAt ? ` at ${a.decidedAt}` : ''}${a.comment ? ` — ${a.comment}` : ''}`);
  }
  if (r.decidedAt) lines.push(`  decided    ${r.decidedAt}${r.decidedBy ? ` by ${r.decidedBy}` : ''}`);
  if (r.expiresAt) lines.push(`  expires    ${r.expiresAt}`);
  if (r.revokedAt) lines.push(`  revoked    ${r.revokedAt} (${r.revokeCause ?? 'unknown'})`);
  if (r.statusReason) lines.push(`  why        ${r.statusReason}`);
  if (r.review) lines.push(`  review     ${renderReview(r.review)}`);
  return lines.join('\n');
}

function renderReview(review: NonNullable<RequestView['review']>): string {
  if (review.status === 'pending') return `waiting for ${review.reviewers.join(', ') || 'a reviewer'}`;
  return `acknowledged by ${review.acknowledgedBy ?? 'a reviewer'} at ${review.acknowledgedAt ?? 'an unknown time'}${review.comment ? ` — ${review.comment}` : ''}`;
}

export function renderRequestLine(r: RequestView): string {
  return [r.id, r.status.padEnd(12), r.identityId.padEnd(12), formatDuration(r.duration).padEnd(6), r.scopes.join(','), r.reason].join('  ');
}

export interface CredentialsAnswer {
  requestId: string;
  credentials: Array<{ resourceId: string; username: string; password: string; expiresAt: string; hint: string | null }>;
}

/** The answer of `stint creds`: one block per scope, then the one warning that matters. */
export function renderCredentials(answer: CredentialsAnswer): string {
  const lines = answer.credentials.flatMap((c) => [
    c.resourceId,
    `  username   ${c.username}`,
    `  password   ${c.password}`,
    `  expires    ${c.expiresAt}`,
    ...(c.hint ? [`  connect    ${c.hint}`] : []),
  ]);
  lines.push(`Shown once and not stored anywhere: \`stint creds ${answer.requestId}\` again mints a new password (the old one stops working).`);
  return lines.join('\n');
}
