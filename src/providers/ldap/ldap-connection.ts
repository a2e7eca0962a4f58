/**
 * One LDAP session per provider call: connect (ldaps://, or ldap:// with optional StartTLS), bind as the resource's
 * bind DN, run the work, always unbind. Transient failures (refused/reset connections, timeouts, busy/unavailable)
 * retry the whole session with capped exponential backoff — every piece of work here is idempotent, so repeating
 * it is safe. The bind password is resolved per call and goes nowhere but the bind request.
 */
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { Client, ResultCodeError, type ClientOptions } from 'ldapts';
import { StintError } from '../../domain/errors.ts';
import { resolveSecret } from '../secrets.ts';
import type { LdapConnectionConfig } from './ldap-config.ts';
import { bindRefusal, isTransient, operationRefusal, type LdapOperation } from './ldap-errors.ts';

export interface LdapRetry {
  /** Sessions tried before giving up. @defaultValue 3 */
  attempts: number;
  /** First delay, doubling. @defaultValue 250 */
  baseMs: number;
  /** Cap of one delay. @defaultValue 2_000 */
  maxMs: number;
}

export interface LdapCallOptions {
  /** Where `env:` references are read. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  retry?: Partial<LdapRetry>;
}

/** A bound client, and `run` for one operation whose refusal must say what to fix. */
export interface LdapSession {
  client: Client;
  bindDn: string;
  url: string;
  run<T>(operation: LdapOperation, work: (client: Client) => Promise<T>): Promise<T>;
}

// node:tls stays out of providers/ (scripts/check-imports.ts): the type comes through ldapts.
type ConnectionOptions = NonNullable<ClientOptions['tlsOptions']>;

const DEFAULT_RETRY: LdapRetry = { attempts: 3, baseMs: 250, maxMs: 2_000 };
const DEFAULT_TIMEOUT_MS = 10_000;

async function tlsOptions(conn: LdapConnectionConfig): Promise<ConnectionOptions> {
  const host = new URL(conn.url).hostname.replace(/^\[|\]$/g, '');
  const options: ConnectionOptions = { host, ...(isIP(host) ? {} : { servername: host }) };
  if (!conn.tlsCaFile) return options;
  try {
    return { ...options, ca: await readFile(conn.tlsCaFile, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new StintError('POLICY_INVALID', `ldap provider: tlsCaFile ${conn.tlsCaFile} cannot be read (${code}); check the path and its permissions`);
  }
}

/** A TLS handshake that failed on the certificate will fail the same way next time. */
function tlsRefusal(error: unknown, conn: LdapConnectionConfig): StintError | null {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (!/CERT|SELF_SIGNED|ERR_TLS|UNABLE_TO|ERR_SSL/.test(code)) return null;
  const fix = conn.tlsCaFile ? `check that ${conn.tlsCaFile} holds the CA that signed the server's certificate and that the certificate names the host` : 'set tlsCaFile to the CA that signed the server certificate';
  return new StintError('POLICY_INVALID', `ldap: the TLS handshake with ${conn.url} failed (${code}); ${fix}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function openSession<T>(conn: LdapConnectionConfig, password: string, tls: ConnectionOptions, work: (session: LdapSession) => Promise<T>): Promise<T> {
  const timeout = conn.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const secure = conn.url.toLowerCase().startsWith('ldaps:');
  const client = new Client({ url: conn.url, timeout, connectTimeout: timeout, ...(secure ? { tlsOptions: tls } : {}) });
  const who = { bindDn: conn.bindDn, url: conn.url };
  try {
    if (conn.startTls) {
      try {
        await client.startTLS({ ...tls });
      } catch (error) {
        if (!(error instanceof ResultCodeError)) throw error;
        throw new StintError('POLICY_INVALID', `ldap: ${conn.url} refused StartTLS (${error.message}); configure TLS on the server, or use ldaps://`);
      }
    }
    try {
      await client.bind(conn.bindDn, password);
    } catch (error) {
      throw bindRefusal(error, conn.bindDn, conn.url) ?? error;
    }
    const session: LdapSession = {
      client,
      ...who,
      async run(operation, step) {
        try {
          return await step(client);
        } catch (error) {
          throw operationRefusal(error, operation, who) ?? error;
        }
      },
    };
    return await work(session);
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** Runs `work` in a bound session, retrying transient failures; permanent ones throw POLICY_INVALID at once. */
export async function withLdap<T>(conn: LdapConnectionConfig, options: LdapCallOptions, work: (session: LdapSession) => Promise<T>): Promise<T> {
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const password = await resolveSecret(conn.bindPassword, options.env ?? process.env);
  const tls = await tlsOptions(conn);
  let last: unknown;
  for (let attempt = 1; attempt <= retry.attempts; attempt++) {
    try {
      return await openSession(conn, password, tls, work);
    } catch (error) {
      const refusal = tlsRefusal(error, conn);
      if (refusal) throw refusal;
      if (!isTransient(error)) throw error instanceof StintError ? error : operationRefusal(error, { action: 'work on', target: conn.url, access: 'the access the operation needs' }, conn)!;
      last = error;
      if (attempt < retry.attempts) await sleep(Math.min(retry.maxMs, retry.baseMs * 2 ** (attempt - 1)));
    }
  }
  const why = last instanceof Error ? ((last as NodeJS.ErrnoException).code ?? last.message.split('\n')[0]) : String(last);
  throw new StintError('UNAVAILABLE', `ldap: ${conn.url} did not answer (${why}) after ${retry.attempts} attempt(s); check that the directory is up and reachable from Stint`, {
    url: conn.url,
  });
}
