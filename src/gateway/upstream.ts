/**
 * The gateway's side of the target: an `ssh2` client that logs in with the session's in-memory key and trusts only
 * the resource's pinned host keys (fail closed: any other key ends the attempt, naming the host and the offered
 * key's fingerprint), then opens a shell on a pty of the user's terminal type and size.
 */
import ssh2, { type ClientChannel } from 'ssh2';
import type { LaunchTarget } from '../core/ports.ts';
import { keyFingerprint } from './host-key.ts';

export interface PtyShape {
  term: string;
  cols: number;
  rows: number;
  width: number;
  height: number;
}

export interface Upstream {
  stream: ClientChannel;
  close(): void;
}

/** Thrown when the target cannot be reached or refused us; `message` is meant for the user's terminal. */
export class UpstreamError extends Error {}

const READY_TIMEOUT_MS = 15_000;

export function openUpstream(target: LaunchTarget, privateKey: string, pty: PtyShape): Promise<Upstream> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let offered: string | undefined;
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(new UpstreamError(message));
    };
    client.on('error', (err) => {
      if (offered) return fail(`the host key of ${target.host}:${target.port} (${offered}) is not pinned for this resource; refusing to connect (an admin checks the machine and its knownHosts)`);
      fail(`cannot open the session on ${target.host}:${target.port}: ${err.message}`);
    });
    client.on('close', () => fail(`${target.host}:${target.port} closed the connection before the session opened`));
    client.on('ready', () => {
      client.shell({ term: pty.term, cols: pty.cols, rows: pty.rows, width: pty.width, height: pty.height }, (err, stream) => {
        if (err) return fail(`${target.host} refused a shell: ${err.message}`);
        settled = true;
        resolve({ stream, close: () => client.end() });
      });
    });
    client.connect({
      host: target.host,
      port: target.port,
      username: target.username,
      privateKey,
      readyTimeout: READY_TIMEOUT_MS,
      // Pinned host keys only: the base64 key blob must be one of the resource's knownHosts.
      hostVerifier: (key: Buffer) => {
        if (target.hostKeys.includes(key.toString('base64'))) return true;
        offered = keyFingerprint(key);
        return false;
      },
    });
  });
}
