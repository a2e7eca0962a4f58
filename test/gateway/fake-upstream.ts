/**
 * A stand-in for a Linux target in gateway tests: an `ssh2` server that accepts only the exact public keys it was
 * told (as the linux provider's authorizeLaunch does with authorized_keys), and runs a tiny line shell on a pty:
 * echoes what is typed, answers `echo X` with X, `size` with the pty size, `exit [N]` ends with status N.
 * `kill(user)` ends that user's sessions (what a revoke does to processes).
 */
import type { AddressInfo } from 'node:net';
import ssh2, { type Connection, type ServerChannel } from 'ssh2';
import { generateSshKeyPair } from '../../src/gateway/ssh-keys.ts';

export interface FakeUpstream {
  port: number;
  /** The host key blob, base64 (the second field of a known_hosts line). */
  hostKey: string;
  allow(username: string, publicKey: string): void;
  /** Every public key ever allowed, in order. */
  allowed: string[];
  /** Keys offered at login and whether they were accepted. */
  offered: Array<{ username: string; accepted: boolean }>;
  ptys: Array<{ term: string; cols: number; rows: number }>;
  resizes: Array<{ cols: number; rows: number }>;
  kill(username: string): void;
  close(): Promise<void>;
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const host = generateSshKeyPair();
  const parsedHost = ssh2.utils.parseKey(host.public) as ssh2.ParsedKey;
  const keys = new Map<string, Set<string>>();
  const shells = new Map<string, Set<ServerChannel>>();
  const conns = new Set<Connection>();
  const state: Omit<FakeUpstream, 'port' | 'close'> = {
    hostKey: parsedHost.getPublicSSH().toString('base64'),
    allowed: [],
    offered: [],
    ptys: [],
    resizes: [],
    allow(username, publicKey) {
      const blob = (ssh2.utils.parseKey(publicKey) as ssh2.ParsedKey).getPublicSSH().toString('base64');
      keys.set(username, (keys.get(username) ?? new Set()).add(blob));
      state.allowed.push(publicKey);
    },
    kill(username) {
      keys.delete(username);
      for (const channel of shells.get(username) ?? []) {
        channel.exit('KILL', false, 'killed');
        channel.end();
      }
    },
  };
  const server = new ssh2.Server({ hostKeys: [host.private] }, (conn) => {
    conns.add(conn);
    conn.on('close', () => conns.delete(conn));
    conn.on('error', () => undefined);
    let user = '';
    conn.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const ok = keys.get(ctx.username)?.has(ctx.key.data.toString('base64')) === true;
      state.offered.push({ username: ctx.username, accepted: ok });
      if (!ok) return ctx.reject(['publickey']);
      // Without a signature this is only the "would you accept" probe; ssh2 checks the signature itself.
      user = ctx.username;
      ctx.accept();
    });
    conn.on('ready', () =>
      conn.on('session', (accept) => {
        const session = accept();
        session.on('pty', (ok, _no, info) => {
          state.ptys.push({ term: info.term, cols: info.cols, rows: info.rows });
          ok?.();
        });
        session.on('window-change', (ok, _no, info) => {
          state.resizes.push({ cols: info.cols, rows: info.rows });
          ok?.();
        });
        session.on('shell', (ok) => runShell(ok(), user, shells, state));
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    ...state,
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const c of conns) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function runShell(channel: ServerChannel, user: string, shells: Map<string, Set<ServerChannel>>, state: Pick<FakeUpstream, 'ptys' | 'resizes'>): void {
  shells.set(user, (shells.get(user) ?? new Set()).add(channel));
  channel.on('close', () => shells.get(user)?.delete(channel));
  channel.write(`welcome ${user}\r\n$ `);
  let line = '';
  channel.on('data', (data: Buffer) => {
    for (const ch of data.toString('utf8')) {
      if (ch !== '\r' && ch !== '\n') {
        line += ch;
        channel.write(ch);
        continue;
      }
      const command = line.trim();
      line = '';
      channel.write('\r\n');
      const exit = /^exit(?:\s+(\d+))?$/.exec(command);
      if (exit) {
        channel.exit(Number(exit[1] ?? 0));
        channel.end();
        return;
      }
      if (command.startsWith('echo ')) channel.write(`${command.slice(5)}\r\n`);
      else if (command === 'size') {
        const last = state.resizes.at(-1) ?? state.ptys.at(-1);
        channel.write(`${last?.cols}x${last?.rows}\r\n`);
      } else if (command) channel.stderr.write(`${command}: not found\r\n`);
      channel.write('$ ');
    }
  });
}
