import { describe, expect, it } from 'vitest';
import { checkTicket } from '../../src/core/check-ticket.ts';
import type { TicketPort } from '../../src/core/ports.ts';
import { StintError } from '../../src/domain/errors.ts';
import type { PolicyWorkflow } from '../../src/policy/model.ts';

const workflow = (ticket?: PolicyWorkflow['ticket']): PolicyWorkflow => ({
  id: 'review',
  eligible: [],
  approvers: [],
  required: 1,
  approvalWindowSec: 3600,
  escalation: [],
  channels: { slack: [], teams: [] },
  approverTier: 'human',
  ...(ticket && { ticket }),
});

const port = (state: string | Error): TicketPort => ({
  lookup: async (_system, key) => {
    if (state instanceof Error) throw state;
    return { key, title: 'Orders stuck', state, url: `https://jira/browse/${key}` };
  },
  comment: async () => undefined,
});

async function refusal(promise: Promise<unknown>): Promise<StintError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(StintError);
  return err as StintError;
}

describe('checkTicket', () => {
  it('asks nothing for a workflow without ticket:', async () => {
    expect(await checkTicket(workflow(), 'INC-1', undefined)).toBeNull();
  });

  it('lets a request without a ticket through when the ticket is not required', async () => {
    expect(await checkTicket(workflow({ system: 'jira', required: false, states: ['Open'] }), null, undefined)).toBeNull();
  });

  it('fails closed with UNAVAILABLE when no ticket system is wired', async () => {
    expect((await refusal(checkTicket(workflow({ system: 'jira', required: true, states: ['Open'] }), 'INC-1', undefined))).code).toBe('UNAVAILABLE');
  });

  it('turns an unexpected adapter error into UNAVAILABLE', async () => {
    const err = await refusal(checkTicket(workflow({ system: 'servicenow', required: true, states: ['Open'] }), 'INC1', port(new Error('socket hang up'))));
    expect([err.code, err.message]).toEqual(['UNAVAILABLE', expect.stringContaining('ServiceNow could not be asked about INC1')]);
  });

  it('compares states case-insensitively and answers the ticket', async () => {
    expect((await checkTicket(workflow({ system: 'jira', required: true, states: ['In Progress'] }), 'INC-1', port('IN PROGRESS')))?.title).toBe('Orders stuck');
  });

  it('refuses a state not allowed with TICKET_INVALID and details naming both', async () => {
    const err = await refusal(checkTicket(workflow({ system: 'jira', required: true, states: ['In Progress'] }), 'INC-1', port('Closed')));
    expect([err.code, err.httpStatus, err.details]).toEqual(['TICKET_INVALID', 422, expect.objectContaining({ state: 'Closed', allowed: ['In Progress'] })]);
  });
});
