/**
 * `stint ssh <machine>`: launch mode (issue 8). Asks for access with `launch: true`, waits for the approval (a
 * spinner on a terminal), then opens the session through Stint's SSH gateway with the request id and the caller's
 * token — the gateway holds the target's credential, this process never sees one. Exits with the remote status.
 */
import { Option, type Command } from 'commander';
import type { RequestView } from '../core/present-request.ts';
import { StintError, isStintError } from '../domain/errors.ts';
import { apiClientFromEnv, type ApiClient } from './api-client.ts';
import type { CliIo } from './client-commands.ts';
import { connectGateway, type GatewayInfo } from './gateway-connect.ts';
import { startSpinner } from './spinner.ts';
import { ExitStatus, processTerminal } from './terminal.ts';
import { withReLogin } from './step-up.ts';

const BASE = '/api/v1/credentials/jit';
/** Without --duration: an hour, or the resource's maxDuration when that is shorter (asked again with the maximum). */
export const DEFAULT_SSH_DURATION = '1h';

interface SshOptions {
  duration?: string;
  reason?: string;
  request?: string;
  login?: string;
  identity?: string;
  option?: string[];
}

const REFUSED = (what: string) =>
  new StintError(
    'INVALID_BODY',
    `JIT launch cannot be combined with a user-supplied credential or host options (${what}): stint ssh connects through the Stint gateway to the resource's pinned host, as an account made for this request; drop ${what}`,
    { field: what },
  );

export function registerSshCommand(program: Command, io: CliIo, client: () => ApiClient = () => apiClientFromEnv(io.env)): void {
  program
    .command('ssh')
    .description('Open a recorded shell on a machine through the Stint gateway: requests launch access, waits for approval, ends the grant when you exit')
    .argument('[machine]', 'the policy resource id of the machine (a linux resource with jit.create_ephemeral)')
    .option('--duration <duration>', `how long the access may last at most (default ${DEFAULT_SSH_DURATION}, or the resource's maxDuration if shorter)`)
    .option('--reason <text>', 'why (a ticket key first becomes the ticket)')
    .option('--request <id>', 'reconnect to an approved launch request instead of asking again')
    // Accepted only to refuse them clearly: the gateway chooses the host, the account and the key.
    .addOption(new Option('-l, --login <user>').hideHelp())
    .addOption(new Option('-i, --identity <file>').hideHelp())
    .addOption(new Option('-o, --option <option>').argParser((v: string, all: string[] = []) => [...all, v]).hideHelp())
    .action(async (machine: string | undefined, opts: SshOptions) => {
      if (opts.login !== undefined) throw REFUSED('-l/--login');
      if (opts.identity !== undefined) throw REFUSED('-i');
      if (opts.option !== undefined) throw REFUSED('-o');
      if (machine?.includes('@')) throw REFUSED(`"${machine}": a user@host form`);
      if (!machine && !opts.request) throw new StintError('INVALID_BODY', 'Name the machine (`stint ssh web-1`) or the request to reconnect to (`stint ssh --request jit_…`)', { field: 'machine' });
      const api = client();
      const terminal = io.terminal ?? processTerminal();
      const gateway = await api.call<GatewayInfo>('GET', '/api/v1/gateway');
      if (!gateway.enabled) throw new StintError('UNAVAILABLE', 'This Stint runs no SSH gateway (STINT_SSH_PORT is not set on the server): stint ssh cannot be used there; ask an admin');

      let view = opts.request ? await api.call<RequestView>('GET', `${BASE}/${encodeURIComponent(opts.request)}`) : await withReLogin(api, io, () => createLaunch(api, machine!, opts));
      if (!view.launch) throw new StintError('NOT_ELIGIBLE', `${view.id} was not requested for stint ssh (launch); request the machine with \`stint ssh ${view.scopes[0] ?? '<machine>'}\``);
      view = await waitForApproval(api, view, io, terminal.stderr.isTTY === true);
      if (view.status !== 'ACTIVE') {
        throw new StintError('NOT_PENDING', `${view.id} is ${view.status}${view.statusReason ? `: ${view.statusReason}` : ''}; there is no session to open`, { status: view.status });
      }
      const base = io.env.STINT_URL!;
      const status = await connectGateway({ gateway, host: gateway.host ?? new URL(base).hostname, requestId: view.id, token: io.env.STINT_TOKEN!, terminal, term: io.env.TERM });
      io.err(`stint: session on ${view.scopes.join(', ')} ended; ${view.id} is being revoked. Recording: \`stint session play ${view.id}\``);
      throw new ExitStatus(status);
    });
}

async function createLaunch(api: ApiClient, machine: string, opts: SshOptions): Promise<RequestView> {
  const body = { scopes: [machine], reason: opts.reason?.trim() || `interactive session on ${machine} (stint ssh)`, launch: true };
  try {
    return await api.call<RequestView>('POST', BASE, { ...body, duration: opts.duration ?? DEFAULT_SSH_DURATION });
  } catch (err) {
    // Default duration above the resource's maxDuration: ask for the maximum instead (an explicit --duration is not changed).
    const maximum = isStintError(err) && err.code === 'DURATION_TOO_LONG' && !opts.duration ? err.details?.maximum : undefined;
    if (typeof maximum !== 'string') throw err;
    return api.call<RequestView>('POST', BASE, { ...body, duration: maximum });
  }
}

/** Long-polls until the request leaves PENDING/APPROVED, with a spinner on a terminal, plain lines otherwise. */
async function waitForApproval(api: ApiClient, created: RequestView, io: CliIo, tty: boolean): Promise<RequestView> {
  let view = created;
  if (view.status !== 'PENDING' && view.status !== 'APPROVED') return view;
  const link = `${io.env.STINT_URL!.replace(/\/+$/, '')}${BASE}/${view.id}`;
  const approvers = view.approvers.map((a) => a.email).join(', ') || 'the approvers';
  io.err(`${view.id}: waiting for approval by ${approvers} (in Slack/Teams, or \`stint approve ${view.id}\`). ${link}`);
  const spinner = tty ? startSpinner(io.terminal?.stderr ?? process.stderr) : undefined;
  // Ctrl-C while waiting withdraws the request rather than leaving it pending for approvers (io.signal in tests).
  const { signal: stop, release } = io.signal ? { signal: io.signal, release: () => undefined } : interruptSignal();
  const interrupted = new Promise<never>((_, reject) => {
    const abort = () => reject(new Interrupted());
    if (stop.aborted) abort();
    else stop.addEventListener('abort', abort, { once: true });
  });
  interrupted.catch(() => undefined);
  try {
    while (view.status === 'PENDING' || view.status === 'APPROVED') {
      spinner?.say(view.status === 'PENDING' ? `waiting for approval of ${view.id}` : `${view.id} approved; granting access`);
      const { settled: _settled, ...next } = await Promise.race([api.call<RequestView & { settled: boolean }>('GET', `${BASE}/${encodeURIComponent(view.id)}/wait?timeout=25s`), interrupted]);
      view = next;
    }
  } catch (err) {
    if (!(err instanceof Interrupted)) throw err;
    spinner?.stop();
    const cancelled = await api.call<RequestView>('POST', `${BASE}/${encodeURIComponent(view.id)}/cancel`, { comment: 'stint ssh interrupted while waiting' }).then(
      () => true,
      () => false,
    );
    io.err(cancelled ? `stint: interrupted; ${view.id} is cancelled.` : `stint: interrupted; ${view.id} was already decided: end it with \`stint done ${view.id}\` or use it with \`stint ssh --request ${view.id}\`.`);
    throw new ExitStatus(INTERRUPTED);
  } finally {
    spinner?.stop();
    release();
  }
  return view;
}

/** The shell's status for "ended by SIGINT". */
const INTERRUPTED = 130;

class Interrupted extends Error {}

/** Aborts on SIGINT while waiting; `release` gives ^C back (in the session the terminal is raw: ^C goes to the target). */
function interruptSignal(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onInt = () => controller.abort();
  process.once('SIGINT', onInt);
  return { signal: controller.signal, release: () => process.off('SIGINT', onInt) };
}
