/**
 * The ticket check of a workflow with `ticket:` (issue 12): the request's ticket must exist in the workflow's
 * system and be in one of its `states` (case-insensitive); `required: true` refuses a request without one. A
 * system that cannot be asked fails closed (UNAVAILABLE): the request is not created.
 */
import { StintError, isStintError } from '../domain/errors.ts';
import type { PolicyWorkflow, TicketSystem } from '../policy/model.ts';
import type { TicketInfo, TicketPort } from './ports.ts';

export const TICKET_SYSTEM_NAMES: Readonly<Record<TicketSystem, string>> = { jira: 'Jira', servicenow: 'ServiceNow' };

/** The ticket as its system shows it, or null when the workflow checks none (or none was given and none is required). */
export async function checkTicket(workflow: PolicyWorkflow, ticket: string | null, tickets: TicketPort | undefined): Promise<TicketInfo | null> {
  const rule = workflow.ticket;
  if (!rule) return null;
  const system = TICKET_SYSTEM_NAMES[rule.system];
  if (!ticket) {
    if (!rule.required) return null;
    throw new StintError('TICKET_INVALID', 'this workflow needs a ticket key (e.g. INC-1234) as the first word of the reason or in `ticket`', { workflow: workflow.id, system: rule.system });
  }
  if (!tickets) throw new StintError('UNAVAILABLE', `Workflow ${workflow.id} checks tickets in ${system}, which this Stint cannot reach; try again later`, { system: rule.system });
  let found: TicketInfo | null;
  try {
    found = await tickets.lookup(rule.system, ticket);
  } catch (err) {
    if (isStintError(err) && err.code === 'UNAVAILABLE') throw err;
    throw new StintError('UNAVAILABLE', `${system} could not be asked about ${ticket} (${err instanceof Error ? err.message : String(err)}); try again later`, { system: rule.system });
  }
  if (!found) {
    throw new StintError('TICKET_INVALID', `Ticket ${ticket} does not exist in ${system} (or Stint may not see it); check the key`, { ticket, system: rule.system });
  }
  const allowed = rule.states.map((s) => s.toLowerCase());
  if (!allowed.includes(found.state.trim().toLowerCase())) {
    throw new StintError('TICKET_INVALID', `Ticket ${ticket} is "${found.state}" in ${system}; workflow ${workflow.id} accepts tickets in: ${rule.states.join(', ')}`, {
      ticket,
      system: rule.system,
      state: found.state,
      allowed: rule.states,
    });
  }
  return found;
}
