/**
 * Tells the request's ticket that access was granted or revoked (issue 12), for workflows with `ticket:`. A
 * comment is a courtesy, never a condition: a failure (system down, ticket gone, no ticket port) is audited as
 * `ticket.comment_failed` and swallowed, so it never fails the grant or the revoke that already happened.
 */
import type { AccessRequest } from '../domain/request.ts';
import type { GrantPorts } from './ports.ts';

export type TicketEvent = 'granted' | 'revoked';

export async function commentOnTicket(request: AccessRequest, event: TicketEvent, ports: GrantPorts): Promise<void> {
  const policy = ports.policy.current();
  const rule = policy.workflows.get(request.workflow)?.ticket;
  if (!rule || !request.ticket) return;
  const requester = policy.people.get(request.requesterId)?.email ?? request.requesterId;
  const scopes = request.scopes.join(', ');
  const text =
    event === 'granted'
      ? `Stint: access to ${scopes} granted to ${requester} until ${request.expiresAt?.toISOString() ?? 'revoked'} (request ${request.id})`
      : `Stint: access of ${requester} to ${scopes} revoked (${request.revokeCause ?? 'revoked'}) (request ${request.id})`;
  const data: Record<string, unknown> = { system: rule.system, ticket: request.ticket, event };
  let action = 'ticket.commented';
  try {
    if (!ports.tickets) throw new Error('no ticket system is configured in this Stint');
    await ports.tickets.comment(rule.system, request.ticket, text);
  } catch (err) {
    action = 'ticket.comment_failed';
    data.error = (err instanceof Error ? err.message : String(err)).slice(0, 500);
  }
  await ports.store
    .transaction(async (tx) => tx.appendAudit({ actor: 'stint', action, requestId: request.id, data, at: ports.clock.now() }))
    .catch(() => undefined);
}
