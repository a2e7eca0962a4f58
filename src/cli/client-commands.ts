/** Client-side verbs: they talk to a running Stint over REST (STINT_URL, STINT_TOKEN). */
import type { Command } from 'commander';
import type { RequestView } from '../core/present-request.ts';
import { apiClientFromEnv, type ApiClient } from './api-client.ts';
import type { Terminal } from './terminal.ts';
import { renderCredentials, renderRequest, renderRequestLine, type CredentialsAnswer } from './render.ts';
import { withReLogin } from './step-up.ts';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  /** Ends long-running verbs (`audit export --follow`); the CLI wires SIGINT/SIGTERM to it. */
  signal?: AbortSignal;
  /** The terminal `stint ssh` and `stint session play` drive (default: this process's). */
  terminal?: Terminal;
}

const BASE = '/api/v1/credentials/jit';
// Below the client's 30 s network timeout (api-client.ts): each long poll answers before it fires.
const WAIT_TIMEOUT = '25s';

export function registerClientCommands(program: Command, io: CliIo, client: () => ApiClient = () => apiClientFromEnv(io.env)): void {
  const show = (json: boolean | undefined, view: RequestView) => io.out(json ? JSON.stringify(view, null, 2) : renderRequest(view));

  program
    .command('request')
    .description('Ask for access to a resource for a while')
    .argument('<resource>', 'policy resource id, e.g. prod-orders-db (several: comma-separated)')
    .argument('<duration>', 'how long: 45s, 15m, 2h, 1d or PT2H')
    .argument('<reason...>', 'why; a ticket key first (INC-1234) becomes the ticket')
    .option('--for <identity>', 'request on behalf of someone (needs the admin scope)')
    .option('--break-glass', 'emergency access: approved at once, security is notified')
    .option('--narrow <scope>', 'ask for less than the whole resource: "SELECT on orders.shipments; SELECT, UPDATE on orders.items"')
    .option('--wait', 'wait until the request is decided')
    .option('--mfa-code <code>', 'the code from your authenticator, where the workflow asks for step-up')
    .option('--json', 'print the API JSON')
    .action(async (resource: string, duration: string, reason: string[], opts: { for?: string; breakGlass?: boolean; narrow?: string; wait?: boolean; mfaCode?: string; json?: boolean }) => {
      const api = client();
      const body = {
        scopes: resource.split(',').map((s) => s.trim()),
        duration,
        reason: reason.join(' '),
        ...(opts.for ? { identityId: opts.for } : {}),
        ...(opts.breakGlass ? { breakGlass: true } : {}),
        ...(opts.narrow ? { narrowing: opts.narrow } : {}),
        ...(opts.mfaCode ? { mfaCode: opts.mfaCode } : {}),
      };
      let view = await withReLogin(api, io, () => api.call<RequestView>('POST', BASE, body));
      if (opts.wait) view = await waitUntilSettled(api, view, io);
      show(opts.json, view);
    });

  program
    .command('list')
    .description('List requests you can see (yours and those you may approve)')
    .option('--status <states>', 'comma-separated states, e.g. PENDING,APPROVED')
    .option('--view <view>', 'mine | awaiting | all (awaiting includes break-glass reviews waiting for you)', 'all')
    .option('--review <state>', 'only break-glass requests whose review is pending | acknowledged')
    .option('--json', 'print the API JSON')
    .action(async (opts: { status?: string; view?: string; review?: string; json?: boolean }) => {
      const query = new URLSearchParams({
        ...(opts.status ? { status: opts.status } : {}),
        ...(opts.view ? { view: opts.view } : {}),
        ...(opts.review ? { review: opts.review } : {}),
      });
      const { requests } = await client().call<{ requests: RequestView[] }>('GET', `/api/v1/requests?${query}`);
      if (opts.json) io.out(JSON.stringify({ requests }, null, 2));
      else io.out(requests.length ? requests.map(renderRequestLine).join('\n') : 'No requests.');
    });

  program
    .command('show')
    .description('Show one request')
    .argument('<id>')
    .option('--json', 'print the API JSON')
    .action(async (id: string, opts: { json?: boolean }) => show(opts.json, await client().call<RequestView>('GET', `${BASE}/${id}`)));

  const decide = (verb: 'approve' | 'deny' | 'cancel' | 'done' | 'revoke', description: string, commentRequired: boolean) => {
    const command = program
      .command(verb)
      .description(description)
      .argument('<id>')
      .argument(commentRequired ? '<comment...>' : '[comment...]', commentRequired ? 'why (the requester sees it)' : 'optional comment')
      .option('--json', 'print the API JSON');
    if (verb === 'approve') command.option('--mfa-code <code>', "your authenticator's code, where the workflow asks approvers of risky requests for step-up");
    command.action(async (id: string, comment: string[] | undefined, opts: { json?: boolean; mfaCode?: string }) => {
      const text = comment?.join(' ').trim();
      const api = client();
      const body = { ...(text ? { comment: text } : {}), ...(opts.mfaCode ? { mfaCode: opts.mfaCode } : {}) };
      show(opts.json, await withReLogin(api, io, () => api.call<RequestView>('POST', `${BASE}/${id}/${verb}`, body)));
    });
  };
  decide('approve', 'Approve a request you may decide', false);
  decide('deny', 'Deny a request, saying why', true);
  decide('cancel', 'Withdraw your own pending request', false);
  decide('done', 'End your access now (it is revoked at once)', false);
  decide('revoke', 'Take access back from someone (admin or approver)', false);

  program
    .command('review')
    .description('Acknowledge the follow-up review of a break-glass use (breakGlass.reviewers)')
    .argument('<id>')
    .option('--comment <text>', 'what you checked; audited and shown on the cards')
    .option('--json', 'print the API JSON')
    .action(async (id: string, opts: { comment?: string; json?: boolean }) => {
      const comment = opts.comment?.trim();
      show(opts.json, await client().call<RequestView>('POST', `/api/v1/credentials/jit/${encodeURIComponent(id)}/review`, comment ? { comment } : {}));
    });

  program
    .command('extend')
    .description('Move an active grant\'s expiry later (an approver may need to run it for you)')
    .argument('<id>')
    .argument('<duration>', 'how much longer: 30m, 1h or PT1H')
    .argument('[comment...]', 'optional comment')
    .option('--json', 'print the API JSON')
    .action(async (id: string, duration: string, comment: string[] | undefined, opts: { json?: boolean }) => {
      const text = comment?.join(' ').trim();
      show(opts.json, await client().call<RequestView>('POST', `${BASE}/${id}/extend`, { duration, ...(text ? { comment: text } : {}) }));
    });

  program
    .command('creds')
    .description('Reveal the credential of your active grant (a new password each time; shown once, never stored)')
    .argument('<id>')
    .option('--json', 'print the API JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const answer = await client().call<CredentialsAnswer>('POST', `${BASE}/${id}/credential`, {});
      io.out(opts.json ? JSON.stringify(answer, null, 2) : renderCredentials(answer));
    });
}

/**
 * Blocks on the server's long poll (`GET …/:id/wait`) until the request is decided and applied, saying what
 * it waits for whenever that changes (approval, then the grant being applied).
 */
async function waitUntilSettled(api: ApiClient, created: RequestView, io: CliIo): Promise<RequestView> {
  let view = created;
  let said: string | undefined;
  while (view.status === 'PENDING' || view.status === 'APPROVED') {
    if (said !== view.status) io.err(view.status === 'PENDING' ? `${view.id} is waiting for approval…` : `${view.id} is approved; applying the grant…`);
    said = view.status;
    // `settled` only says whether to ask again; the loop reads the status itself, and --json prints the plain view.
    const { settled: _settled, ...next } = await api.call<RequestView & { settled: boolean }>('GET', `${BASE}/${encodeURIComponent(view.id)}/wait?timeout=${WAIT_TIMEOUT}`);
    view = next;
  }
  return view;
}
