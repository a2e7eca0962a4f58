/**
 * The worker's small HTTP listener on METRICS_PORT: `/healthz` (the process runs), `/readyz` (store and Redis
 * answer) and `/metrics` (Prometheus text). `stint serve` and `stint all` expose the same on their API port.
 */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(options: { port: number; host: string; registry: Registry; ready: () => Promise<Record<string, unknown>> }): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(405, 'application/json', JSON.stringify({ error: { code: 'METHOD_NOT_ALLOWED', message: 'GET only' } }));
    if (path === '/healthz') return send(200, 'application/json', JSON.stringify({ status: 'ok' }));
    if (path === '/readyz') {
      options.ready().then(
        (detail) => send(200, 'application/json', JSON.stringify({ status: 'ready', ...detail })),
        (err: unknown) => send(503, 'application/json', JSON.stringify({ error: { code: 'UNAVAILABLE', message: `Not ready: ${err instanceof Error ? err.message : String(err)}` } })),
      );
      return;
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => send(200, options.registry.contentType, text),
        () => send(500, 'text/plain', 'metrics unavailable'),
      );
      return;
    }
    send(404, 'application/json', JSON.stringify({ error: { code: 'NOT_FOUND', message: 'Try /healthz, /readyz or /metrics' } }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${options.host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
