/**
 * The tickets folder's public API: a `TicketPort` over the current policy's `tickets:`. Secrets are resolved
 * on each call (env:/file:), so a reload or a rotated file applies at once; a system the policy does not
 * configure, or whose secret is missing, is UNAVAILABLE (the caller fails closed).
 */
import type { PolicySource, TicketInfo, TicketPort } from '../core/ports.ts';
import { StintError, isStintError } from '../domain/errors.ts';
import type { TicketSystem } from '../policy/model.ts';
import { resolveSecret } from '../providers/secrets.ts';
import { JiraClient } from './jira.ts';
import { ServiceNowClient } from './servicenow.ts';
import type { TicketHttpOptions } from './ticket-http.ts';

export { JiraClient, type JiraOptions } from './jira.ts';
export { ServiceNowClient, type ServiceNowOptions } from './servicenow.ts';

export function createTicketSystems(deps: { policy: PolicySource; env?: NodeJS.ProcessEnv; http?: TicketHttpOptions }): TicketPort {
  const env = deps.env ?? process.env;
  const secret = async (system: TicketSystem, ref: string) => {
    try {
      return await resolveSecret(ref, env);
    } catch (err) {
      throw new StintError('UNAVAILABLE', `tickets.${system}: ${isStintError(err) ? err.message : 'a secret cannot be read'}`, { system });
    }
  };
  const client = async (system: TicketSystem): Promise<JiraClient | ServiceNowClient> => {
    const tickets = deps.policy.current().tickets;
    if (system === 'jira' && tickets.jira) {
      const { url, email, token } = tickets.jira;
      return new JiraClient({ url, email: await secret(system, email), token: await secret(system, token), ...deps.http });
    }
    if (system === 'servicenow' && tickets.servicenow) {
      const { url, user, password, table } = tickets.servicenow;
      return new ServiceNowClient({ url, user: await secret(system, user), password: await secret(system, password), table, ...deps.http });
    }
    throw new StintError('UNAVAILABLE', `ticket system ${system} is not configured in the policy's tickets:`, { system });
  };
  return {
    lookup: async (system, key): Promise<TicketInfo | null> => (await client(system)).lookup(key),
    comment: async (system, key, text) => (await client(system)).comment(key, text),
  };
}
