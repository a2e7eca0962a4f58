/**
 * Client verbs for guardrails and service accounts (issue 10), over REST with STINT_URL and STINT_TOKEN:
 * `stint guardrail trip`, `stint service-account list|suspend|unsuspend`.
 */
import type { Command } from 'commander';
import { apiClientFromEnv, type ApiClient } from './api-client.ts';
import type { CliIo } from './client-commands.ts';

interface TripAnswer {
  serviceAccountId: string;
  suspended: boolean;
  revoked: string[];
  cancelled: string[];
}

interface AccountView {
  id: string;
  owner: string;
  suspended: boolean;
  suspendedAt: string | null;
  suspendedReason: string | null;
  onGuardrail: 'revoke' | 'suspend';
  maxJitDuration: number;
}

const accountLine = (a: AccountView) =>
  `${a.id.padEnd(24)} owner ${a.owner.padEnd(12)} on guardrail: ${a.onGuardrail.padEnd(7)} ${a.suspended ? `SUSPENDED since ${a.suspendedAt} (${a.suspendedReason ?? 'no reason'})` : 'active'}`;

export function registerGuardrailCommands(program: Command, io: CliIo, client: () => ApiClient = () => apiClientFromEnv(io.env)): void {
  const guardrail = program.command('guardrail').description('Guardrails on service accounts');
  guardrail
    .command('trip')
    .description('Trip a guardrail: revoke every grant of the account, cancel its pending requests, suspend it where the policy says so (admin or introspect token)')
    .argument('<account>', 'service-account id')
    .argument('<reason...>', 'what was seen (sent to the owner and the admins)')
    .option('--json', 'print the API JSON')
    .action(async (account: string, reason: string[], opts: { json?: boolean }) => {
      const answer = await client().call<TripAnswer>('POST', '/api/v1/guardrails/trip', { serviceAccountId: account, reason: reason.join(' ') });
      if (opts.json) return io.out(JSON.stringify(answer, null, 2));
      io.out(`Guardrail tripped on ${answer.serviceAccountId}: ${answer.suspended ? 'suspended' : 'not suspended (onGuardrail: revoke)'}`);
      io.out(`revoked: ${answer.revoked.join(', ') || 'none'}`);
      io.out(`cancelled: ${answer.cancelled.join(', ') || 'none'}`);
    });

  const accounts = program.command('service-account').description('Service accounts: list, suspend, unsuspend (admin)');
  accounts
    .command('list')
    .description('Service accounts with their owner and suspension')
    .option('--json', 'print the API JSON')
    .action(async (opts: { json?: boolean }) => {
      const answer = await client().call<{ serviceAccounts: AccountView[] }>('GET', '/api/v1/service-accounts');
      if (opts.json) return io.out(JSON.stringify(answer, null, 2));
      if (answer.serviceAccounts.length === 0) return io.out('No service accounts in the policy.');
      for (const a of answer.serviceAccounts) io.out(accountLine(a));
    });
  accounts
    .command('suspend')
    .description('Suspend a service account: its tokens are refused and it can ask for nothing until unsuspended')
    .argument('<id>', 'service-account id')
    .argument('<comment...>', 'why (audited)')
    .option('--json', 'print the API JSON')
    .action(async (id: string, comment: string[], opts: { json?: boolean }) => {
      const answer = await client().call<AccountView>('POST', `/api/v1/service-accounts/${encodeURIComponent(id)}/suspend`, { comment: comment.join(' ') });
      io.out(opts.json ? JSON.stringify(answer, null, 2) : accountLine(answer));
    });
  accounts
    .command('unsuspend')
    .description('Lift a service account\'s suspension: its tokens work again')
    .argument('<id>', 'service-account id')
    .argument('[comment...]', 'why (audited)')
    .option('--json', 'print the API JSON')
    .action(async (id: string, comment: string[], opts: { json?: boolean }) => {
      const body = comment.length > 0 ? { comment: comment.join(' ') } : {};
      const answer = await client().call<AccountView>('POST', `/api/v1/service-accounts/${encodeURIComponent(id)}/unsuspend`, body);
      io.out(opts.json ? JSON.stringify(answer, null, 2) : accountLine(answer));
    });
}
