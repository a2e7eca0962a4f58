/**
 * Server-side verbs: run the broker, migrate, check the policy, manage tokens, verify and export the audit
 * chain. Token and audit verbs use the REST API when STINT_URL and STINT_TOKEN are set (so they work while
 * an embedded-database server holds the data dir), and the database directly otherwise.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { readFile } from 'node:fs/promises';
import { anchorsIn, checkAnchors, loadPublicKey, loadSigningKey, type AnchorCheck } from '../audit/anchors.ts';
import { exportAudit } from '../audit/export-events.ts';
import { followAudit } from '../audit/follow-audit.ts';
import { openSyslogSink } from '../audit/syslog-sink.ts';
import type { AuditRecord } from '../core/ports.ts';
import { verifyChain } from '../audit/verify-chain.ts';
import { describeToken, issueToken, revokeToken, rotateToken, type TokenListing } from '../core/manage-tokens.ts';
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

/** Events after `afterSeq` from a running server's `GET /api/v1/audit` (NDJSON), in pages. */
async function* auditOverApi(io: CliIo, afterSeq: bigint, page = API_PAGE): AsyncIterable<AuditRecord> {
  const client = apiClientFromEnv(io.env);
  for (;;) {
    const text = await client.text(`/api/v1/audit?after=${afterSeq}&limit=${page}`);
    const lines = text.split('\n').filter(Boolean);
    for (const line of lines) {
      const e = JSON.parse(line) as { seq: string; at: string; actor: string; action: string; requestId: string | null; data: Record<string, unknown>; prevHash: string; hash: string };
      const record = { ...e, seq: BigInt(e.seq), at: new Date(e.at) };
      afterSeq = record.seq;
      yield record;
    }
    if (lines.length < page) return;
  }
}

const API_PAGE = 10_000;

/** Aborts on Ctrl-C or SIGTERM (for `--follow` run from a terminal or a service manager). */
function interrupted(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller.signal;
}

/** `verify --anchors FILE`: each anchor signed by the key, and the chain still holding its hash at its seq. */
async function checkAnchorFile(io: CliIo, file: string, publicKey: string | undefined): Promise<AnchorCheck> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new StintError('INVALID_BODY', `Cannot read the anchors file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const anchors = anchorsIn(text);
  if (anchors.length === 0) throw new StintError('INVALID_BODY', `No anchors in ${file}: export with STINT_AUDIT_SIGNING_KEY set (\`stint audit export --format json\`)`);
  const signing = loadConfig(io.env).auditSigningKey;
  const keys = publicKey ? [loadPublicKey(publicKey)] : signing ? [loadSigningKey(signing).publicKey] : [];
  if (keys.length === 0) throw new StintError('INVALID_BODY', 'Give the public key the anchors were signed with: --public-key, or set STINT_AUDIT_SIGNING_KEY');
  // The stored hash at a seq: the first event after seq - 1, if it is that one (a rolled-back append leaves a gap).
  const hashAt = (first: (afterSeq: bigint) => Promise<AuditRecord | undefined>) => async (seq: bigint) => {
    const event = await first(seq - 1n);
    return event && event.seq === seq ? event.hash : null;
  };
  if (viaApi(io)) {
    return checkAnchors(anchors, keys, hashAt(async (afterSeq) => {
      for await (const event of auditOverApi(io, afterSeq, 1)) return event;
      return undefined;
    }));
  }
  return withStore(io, (store) => checkAnchors(anchors, keys, hashAt(async (afterSeq) => (await store.readAudit(afterSeq, 1))[0])));
}

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
    .option('--anchors <file>', 'also check the signed anchors in this export (NDJSON): catches a chain rewritten wholesale')
    .option('--public-key <pem>', 'Ed25519 public key the anchors were signed with (PEM or file:/path; default: derived from STINT_AUDIT_SIGNING_KEY)')
    .action(async (opts: { anchors?: string; publicKey?: string }) => {
      const anchored = opts.anchors ? await checkAnchorFile(io, opts.anchors, opts.publicKey) : undefined;
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
      if (anchored && !anchored.ok) {
        throw new StintError('AUDIT_BROKEN', `Audit chain REWRITTEN: anchor at seq ${anchored.seq} fails: ${anchored.reason} (${anchored.checked} anchors matched before it)`, {
          brokenSeq: anchored.seq,
        });
      }
      const anchorsLine = anchored ? `; ${anchored.checked} signed anchors match${anchored.lastSeq ? ` (latest at seq ${anchored.lastSeq})` : ''}` : '';
      io.out(`Audit chain OK: ${result.count} events, head ${result.headHash ?? '(empty)'}${anchorsLine}`);
    });
  audit
    .command('export')
    .description('Stream audit events for a SIEM')
    .option('--format <format>', 'json | syslog | cef', 'json')
    .option('--after <seq>', 'only events after this sequence number', '0')
    .option('--follow', 'keep streaming new events until interrupted (Ctrl-C)')
    .option('--anchor-every <n>', 'with STINT_AUDIT_SIGNING_KEY: a signed anchor of the head every N events (and every minute with --follow)', '1000')
    .option('--to <url>', 'ship to a syslog collector instead of stdout: syslog+udp://host:514, syslog+tcp://host:601, syslog+tls://host:6514')
    .option('--ca-file <pem>', 'with syslog+tls: the CA certificates to trust (default: the system\'s)')
    .action(async (opts: { format: string; after: string; follow?: boolean; anchorEvery: string; to?: string; caFile?: string }) => {
      if (!['json', 'syslog', 'cef'].includes(opts.format)) throw new StintError('INVALID_BODY', `Unknown format "${opts.format}": use json, syslog or cef`);
      const format = opts.format as 'json' | 'syslog' | 'cef';
      if (!/^\d+$/.test(opts.after)) throw new StintError('INVALID_BODY', `--after takes a sequence number, not "${opts.after}"`);
      const every = Number(opts.anchorEvery);
      if (!Number.isInteger(every) || every < 1) throw new StintError('INVALID_BODY', `--anchor-every takes a positive number, not "${opts.anchorEvery}"`);
      const after = BigInt(opts.after);
      const signingKey = loadConfig(io.env).auditSigningKey;
      const anchors = signingKey ? { key: loadSigningKey(signingKey), every } : undefined;
      const sink = opts.to ? await openSyslogSink(opts.to, { ...(opts.caFile && { caFile: opts.caFile }) }) : undefined;
      const write = sink ? (line: string) => sink.write(line) : (line: string) => io.out(line);
      const run = async (read: (afterSeq: bigint) => AsyncIterable<AuditRecord>): Promise<number> => {
        if (!opts.follow) return (await exportAudit(read(after), format, write, anchors && { anchors })).count;
        return followAudit(read, after, format, write, { signal: io.signal ?? interrupted(), ...(anchors && { anchors }) });
      };
      let shipped: number;
      try {
        shipped = viaApi(io) ? await run((afterSeq) => auditOverApi(io, afterSeq)) : await withStore(io, (store) => run((afterSeq) => store.streamAudit(afterSeq)));
      } finally {
        await sink?.close();
      }
      if (sink) io.out(`Shipped ${shipped} events to ${opts.to}${anchors ? ' with signed anchors' : ''}`);
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
  token
    .command('rotate')
    .description('Replace a token with a new one (same owner, scopes, label, expiry) and print it once; the old one stops working at once')
    .argument('<prefix>', 'the token to replace (stint_live_XXXXXXXX)')
    .action(async (prefix: string) => {
      const raw = viaApi(io)
        ? (await apiClientFromEnv(io.env).call<{ token: string }>('POST', `/api/v1/tokens/${encodeURIComponent(prefix)}/rotate`)).token
        : (await withStore(io, (store) => rotateToken(prefix, 'cli', { tokens: store, clock: { now: () => new Date() } }))).token;
      io.out(raw);
    });
}
