/** A test's SSH client of the gateway: password login, a pty shell, everything received kept, the exit status awaited. */
import ssh2, { type ClientChannel } from 'ssh2';

export interface GatewaySession {
  /** stdout and stderr as received, interleaved. */
  output(): string;
  send(text: string): void;
  resize(cols: number, rows: number): void;
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit status (null when the channel closed without one). */
  closed: Promise<number | null>;
  end(): void;
}

/** Logs in; rejects when the gateway refuses (message: "refused"). */
export function login(port: number, username: string, password: string): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on('ready', () => resolve(client));
    client.on('error', (err) => reject(/authentication methods failed/i.test(err.message) ? new Error('refused') : err));
    client.connect({ host: '127.0.0.1', port, username, password, readyTimeout: 10_000, hostVerifier: () => true });
  });
}

export async function openShell(port: number, username: string, password: string, pty = { cols: 100, rows: 30 }): Promise<GatewaySession> {
  const client = await login(port, username, password);
  const stream = await new Promise<ClientChannel>((resolve, reject) =>
    client.shell({ term: 'xterm-256color', cols: pty.cols, rows: pty.rows }, (err, s) => (err ? reject(err) : resolve(s))),
  );
  let text = '';
  let status: number | null = null;
  const listeners = new Set<() => void>();
  const take = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const l of listeners) l();
  };
  stream.on('data', take);
  stream.stderr.on('data', take);
  stream.on('exit', (code: number | null) => {
    if (typeof code === 'number') status = code;
  });
  const closed = new Promise<number | null>((resolve) =>
    stream.on('close', () => {
      client.end();
      resolve(status);
    }),
  );
  return {
    output: () => text,
    send: (t) => stream.write(t),
    resize: (cols, rows) => stream.setWindow(rows, cols, 0, 0),
    closed,
    end: () => client.end(),
    waitFor: (pattern, timeoutMs = 20_000) =>
      new Promise<void>((resolve, reject) => {
        const test = () => (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text));
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${String(pattern)} within ${timeoutMs} ms; got:\n${text}`));
        }, timeoutMs);
        const check = () => {
          if (!test()) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
        };
        listeners.add(check);
        check();
      }),
  };
}
