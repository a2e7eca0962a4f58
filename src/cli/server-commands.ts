/**
 * Server-side verbs: run the broker, migrate, check the policy, manage tokens, verify and export the audit
 * chain. Token and audit verbs use the REST API when STINT_URL and STINT_TOKEN are set (so they work while
 * an embedded-database server holds the data dir), and the database directly otherwise.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { exportAudit, formatAuditEvent } from '../audit/export-events.ts';
import { verifyChain } from '../audit/verify-chain.ts';
import { describeToken, issueToken, revokeToken, type TokenListing } from '../core/manage-tokens.ts';
import { parseDuration } from '../domain/duration.ts';
import { StintError } from '../domain/errors.ts';
import { describePolicy, loadPolicyFile, policyJsonSchema } from '../policy/index.ts';
import { defaultProviders } from '../providers/default-providers.ts';
import { createProviderRegistry } from '../providers/registry.ts';
import { openStore, type Store } from '../store/open-store.ts';
import { apiClientFromEnv } from './api-client.ts';
import type { CliIo } from './client-commands.ts';
import { runServer } from './run-server.ts';

const viaApi = (io: CliIo) => Boolean(io.env.STINT_URL && io.env.STINT_TOKEN);

async function withStore<T>(io: CliIo, work: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig(io.env);
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

export function registerServerCommands(program: Command, io: CliIo): void {
  program.command('serve').description('Run the HTTP server (REST API, and Slack/Teams endpoints when configured)').action(() => runServer('serve', io));
  program.command('worker').description('Run the background work: queue workers and the reconciler (needs DATABASE_URL; several may run)').action(() => runServer('worker', io));
  program.command('all').description('Run the server and the background work in one process (the embedded default)').action(() => runServer('all', io));

  program
    .command('migrate')
    .description('Apply pending database migrations and exit')
    .action(async () => {
      await withStore(io, async (store) => io.out(`Database is up to date (${store.kind}).`));
    });

  const policy = program.command('policy').description('Validate and describe the policy file');
  policy
    .command('check')
    .description('Validate a policy file and print what each resource resolves to')
    .argument('[file]', 'policy file (default: STINT_POLICY or stint.yaml)')
    .action(async (file?: string) => {
      const path = file ?? loadConfig(io.env).policyPath;
      const loaded = await loadPolicyFile(path);
      const registry = createProviderRegistry(defaultProviders(io.env));
      const unavailable = registry.checkPolicy(loaded);
      io.out(describePolicy(loaded));
      for (const p of unavailable) io.err(`warning: resource ${p.resourceId}: provider type "${p.type}" is not in this build yet (it has: ${registry.types().join(', ')}); its requests will fail closed`);
      io.out(`\n${path}: OK (fingerprint ${loaded.fingerprint})`);
    });
  policy
    .command('schema')
    .description('Print the JSON Schema of the policy file (for editors)')
    .action(() => io.out(JSON.stringify(policyJsonSchema(), null, 2)));

  const audit = program.command('audit').description('The hash-chained audit log');
  audit
    .command('verify')
    .description('Walk the chain; name the first broken event and exit 1 if any')
    .action(async () => {
      const result = viaApi(io)
        ? await apiClientFromEnv(io.env).call<{ ok: boolean; count: number; brokenSeq?: string; reason?: string; headHash?: string }>('GET', '/api/v1/audit/verify')
        : await withStore(io, async (store) => {
            const r = await verifyChain(store.streamAudit(0n));
            return r.ok ? { ok: true, count: r.count, headHash: r.headHash } : { ok: false, count: r.count, brokenSeq: r.brokenSeq.toString(), reason: r.reason };
          });
      if (!result.ok) {
        throw new StintError('AUDIT_BROKEN', `Audit chain BROKEN at seq ${result.brokenSeq}: ${result.reason} (${result.count} events verified before it)`, {
          brokenSeq: result.brokenSeq,
        });
      }
      io.out(`Audit chain OK: ${result.count} events, head ${result.headHash ?? '(empty)'}`);
    });
  audit
    .command('export')
    .description('Stream audit events for a SIEM')
    .option('--format <format>', 'json | syslog | cef', 'json')
    .option('--after <seq>', 'only events after this sequence number', '0')
    .action(async (opts: { format: string; after: string }) => {
      if (!['json', 'syslog', 'cef'].includes(opts.format)) throw new StintError('INVALID_BODY', `Unknown format "${opts.format}": use json, syslog or cef`);
      const format = opts.format as 'json' | 'syslog' | 'cef';
      const after = BigInt(opts.after);
      if (viaApi(io)) {
        const text = await apiClientFromEnv(io.env).text(`/api/v1/audit?after=${after}&limit=100000`);
        for (const line of text.split('\n').filter(Boolean)) {
          const e = JSON.parse(line) as { seq: string; at: string; actor: string; action: string; requestId: string | null; data: Record<string, unknown>; prevHash: string; hash: string };
          io.out(formatAuditEvent({ ...e, seq: BigInt(e.seq), at: new Date(e.at) }, format));
        }
        return;
      }
      await withStore(io, (store) => exportAudit(store.streamAudit(after), format, (line) => io.out(line)));
    });

  const token = program.command('token').description('Long-lived API tokens (stint_live_…)');
  token
    .command('create')
    .description('Create a token and print it once (nothing else goes to stdout)')
    .requiredOption('--for <id>', 'person or service-account id from the policy')
    .option('--scopes <list>', 'comma-separated: request,approve,admin,introspect,audit:read')
    .option('--expires <duration>', 'lifetime, e.g. 90d')
    .option('--label <text>', 'what the token is for')
    .action(async (opts: { for: string; scopes?: string; expires?: string; label?: string }) => {
      const scopes = opts.scopes?.split(',').map((s) => s.trim()).filter(Boolean);
      if (viaApi(io)) {
        const created = await apiClientFromEnv(io.env).call<{ token: string }>('POST', '/api/v1/tokens', { for: opts.for, scopes, expires: opts.expires, label: opts.label });
        io.out(created.token);
        return;
      }
      const config = loadConfig(io.env);
      const policy = await loadPolicyFile(config.policyPath);
      const { token: raw } = await withStore(io, (store) =>
        issueToken(
          { ownerId: opts.for, scopes, label: opts.label, issuedBy: 'cli', expiresInSec: opts.expires ? parseDuration(opts.expires) : undefined },
          { tokens: store, clock: { now: () => new Date() }, policy },
        ),
      );
      io.out(raw);
    });
  token
    .command('list')
    .description('List tokens (prefix, owner, scopes, dates; never the secret)')
    .option('--for <id>', 'only the tokens of this person or service account')
    .option('--json', 'print JSON')
    .action(async (opts: { for?: string; json?: boolean }) => {
      const tokens = viaApi(io)
        ? (await apiClientFromEnv(io.env).call<{ tokens: TokenListing[] }>('GET', `/api/v1/tokens${opts.for ? `?for=${encodeURIComponent(opts.for)}` : ''}`)).tokens
        : await withStore(io, async (store) => (await store.listTokens(opts.for)).map(describeToken));
      if (opts.json) return io.out(JSON.stringify({ tokens }, null, 2));
      if (tokens.length === 0) return io.out('No tokens.');
      for (const t of tokens) {
        const state = t.revokedAt ? `revoked ${t.revokedAt}` : t.expiresAt ? `expires ${t.expiresAt}` : 'no expiry';
        io.out(`${t.prefix}  ${t.ownerId.padEnd(16)}  ${t.scopes.join(',').padEnd(24)}  created ${t.createdAt}  ${state}`);
      }
    });
  token
    .command('revoke')
    .description('Revoke a token by its prefix (stint_live_XXXXXXXX)')
    .argument('<prefix>')
    .action(async (prefix: string) => {
      if (viaApi(io)) await apiClientFromEnv(io.env).call('DELETE', `/api/v1/tokens/${encodeURIComponent(prefix)}`);
      else await withStore(io, (store) => revokeToken(prefix, 'cli', { tokens: store, clock: { now: () => new Date() } }));
      io.out(`Revoked ${prefix}`);
    });
}
