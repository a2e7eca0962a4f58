/**
 * The client half of `stint ssh`: an ssh2 connection to the Stint gateway that logs in with the request id and the
 * caller's token (in this process only: never in another process's argv), trusts only the host key fingerprint the
 * API announced, and runs a pty shell with the local terminal in raw mode, forwarding resizes. Resolves with the
 * remote exit status.
 */
import ssh2 from 'ssh2';
import { StintError } from '../domain/errors.ts';
import { keyFingerprint } from '../gateway/host-key.ts';
import type { Terminal } from './terminal.ts';

export interface GatewayInfo {
  enabled: boolean;
  host: string | null;
  port: number | null;
  hostKeyFingerprint: string | null;
}

export interface ConnectOptions {
  gateway: GatewayInfo;
  host: string;
  requestId: string;
  token: string;
  terminal: Terminal;
  term?: string;
}

/** ssh's own status for "the connection failed" (as OpenSSH exits). */
const CONNECTION_FAILED = 255;

export function connectGateway(options: ConnectOptions): Promise<number> {
  const { gateway, terminal } = options;
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let shown: string | undefined;
    let started = false;
    client.on('error', (err) => {
      if (started) return;
      if (shown) {
        return reject(new StintError('UNAVAILABLE', `The gateway at ${options.host}:${gateway.port} showed host key ${shown}, not the ${gateway.hostKeyFingerprint} Stint announced; refusing to connect`));
      }
      const refused = /authentication methods failed/i.test(err.message);
      reject(new StintError(refused ? 'UNAUTHENTICATED' : 'UNAVAILABLE', refused ? `The gateway refused ${options.requestId} with this token: is it your ACTIVE launch request?` : `Cannot reach the gateway at ${options.host}:${gateway.port}: ${err.message}`));
    });
    client.on('ready', () => {
      const out = terminal.stdout;
      const size = () => ({ cols: out.columns ?? 80, rows: out.rows ?? 24 });
      client.shell({ term: options.term ?? 'xterm-256color', ...size() }, (err, stream) => {
        if (err) {
          client.end();
          return reject(new StintError('UNAVAILABLE', `The gateway refused a shell: ${err.message}`));
        }
        started = true;
        const raw = terminal.stdin.isTTY === true && typeof terminal.stdin.setRawMode === 'function';
        if (raw) terminal.stdin.setRawMode!(true);
        const onInput = (chunk: Buffer) => stream.write(chunk);
        const onResize = () => stream.setWindow(size().rows, size().cols, 0, 0);
        terminal.stdin.on('data', onInput);
        terminal.stdin.resume();
        (out as NodeJS.EventEmitter).on('resize', onResize);
        let status: number | null = null;
        stream.on('exit', (code: number | null) => {
          if (typeof code === 'number') status = code;
        });
        stream.on('data', (chunk: Buffer) => out.write(chunk));
        stream.stderr.on('data', (chunk: Buffer) => terminal.stderr.write(chunk));
        stream.on('close', () => {
          terminal.stdin.off('data', onInput);
          terminal.stdin.pause();
          (out as NodeJS.EventEmitter).off('resize', onResize);
          if (raw) terminal.stdin.setRawMode!(false);
          client.end();
          resolve(status ?? CONNECTION_FAILED);
        });
      });
    });
    client.connect({
      host: options.host,
      port: gateway.port ?? 22,
      username: options.requestId,
      password: options.token,
      readyTimeout: 15_000,
      // Pinned: the fingerprint the API (over its own TLS) announced, nothing else.
      hostVerifier: (key: Buffer) => {
        const fingerprint = keyFingerprint(key);
        if (fingerprint === gateway.hostKeyFingerprint) return true;
        shown = fingerprint;
        return false;
      },
    });
  });
}
