/**
 * A small TCP proxy for fault tests: put it between Stint and a dependency, then switch it between forwarding
 * and refusing (each new connection is reset at once, so the client fails the way it does when the server is
 * unreachable). It counts connections, so a test can tell how many attempts a component made.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'forward' | 'refuse';

export interface TcpProxy {
  port: number;
  mode: ProxyMode;
  /** Connections forwarded / refused so far. */
  readonly forwarded: number;
  readonly refused: number;
  /** Called with the running refusal count each time a connection is refused (tests switch modes from here). */
  onRefuse?: (refused: number) => void;
  /** Resets every forwarded connection now (an outage breaks established sessions too, e.g. a client's pooled ones). */
  cut(): void;
  /** `url` with its host and port replaced by the proxy's. */
  rewrite(url: string): string;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }, mode: ProxyMode = 'forward'): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let forwarded = 0;
  let refused = 0;
  const server: Server = createServer((client) => {
    if (proxy.mode === 'refuse') {
      refused++;
      client.resetAndDestroy();
      proxy.onRefuse?.(refused);
      return;
    }
    forwarded++;
    const upstream = createConnection(target);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => done());
  });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('proxy has no port');
  const proxy: TcpProxy = {
    port: address.port,
    mode,
    get forwarded() {
      return forwarded;
    },
    get refused() {
      return refused;
    },
    cut() {
      for (const s of open) s.resetAndDestroy();
      open.clear();
    },
    rewrite(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(address.port);
      return u.toString();
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
  return proxy;
}
