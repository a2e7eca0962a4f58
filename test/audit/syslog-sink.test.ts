/**
 * `stint audit export --to`: RFC 5424 lines shipped to local syslog listeners the test runs — one datagram per
 * message over UDP, RFC 6587 octet counting over TCP and over TLS (a throw-away CA and server certificate made
 * with openssl) — each message whole, in order; an unreachable collector or an untrusted certificate fails the
 * export with the reason rather than dropping events.
 */
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { openStore } from '../../src/store/open-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

let db: TestDatabase;
const certs = mkdtempSync(path.join(tmpdir(), 'stint-syslog-tls-'));

/** Splits an octet-counted stream (`LEN SP MSG`) into messages; throws on a frame that does not parse. */
function octetFrames(buffer: Buffer): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < buffer.length) {
    const space = buffer.indexOf(0x20, at);
    const length = Number(buffer.subarray(at, space).toString());
    if (space < 0 || !Number.isInteger(length) || length <= 0) throw new Error(`bad frame at ${at}`);
    out.push(buffer.subarray(space + 1, space + 1 + length).toString('utf8'));
    at = space + 1 + length;
  }
  return out;
}

function streamListener(server: Server, event: 'connection' | 'secureConnection' = 'connection'): Promise<{ port: number; received: () => Promise<string[]> }> {
  const chunks: Buffer[] = [];
  let ended!: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  server.on(event, (socket: Socket) => {
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => ended());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as AddressInfo).port, received: async () => (await done, octetFrames(Buffer.concat(chunks))) })),
  );
}

async function stint(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env: { DATABASE_URL: db.url } });
  return { code, out, err: err.join('\n') };
}

beforeAll(async () => {
  db = await createTestDatabase();
  const store = await openStore({ databaseUrl: db.url });
  for (let i = 0; i < 4; i++) await store.appendAudit({ actor: 'alice', action: 'request.created', requestId: `jit_${i}`, data: { i, text: 'ünïcödé ✓' }, at: new Date() });
  await store.close();
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: certs, stdio: 'ignore' });
  run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=Stint test CA');
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  execFileSync('sh', ['-c', 'printf "subjectAltName=DNS:localhost,IP:127.0.0.1" > ext.cnf'], { cwd: certs });
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf');
}, 60_000);
afterAll(async () => db?.drop());

describe('audit export --to syslog', () => {
  it('sends one RFC 5424 message per UDP datagram, in order', async () => {
    const socket: UdpSocket = createSocket('udp4');
    const got: string[] = [];
    socket.on('message', (m) => got.push(m.toString('utf8')));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const res = await stint(['audit', 'export', '--format', 'syslog', '--to', `syslog+udp://127.0.0.1:${socket.address().port}`]);
    expect(res.err).toBe('');
    expect(res.out).toEqual([`Shipped 4 events to syslog+udp://127.0.0.1:${socket.address().port}`]);
    await expect.poll(() => got.length).toBe(4);
    socket.close();
    expect(got.map((m) => /seq="(\d+)"/.exec(m)?.[1])).toEqual(['1', '2', '3', '4']);
    expect(got[0]).toMatch(/^<85>1 \S+ \S+ stint - request\.created \[stint@32473 .*\] \{.*ünïcödé ✓/);
  });

  it('frames each message by octet count over TCP (RFC 6587)', async () => {
    const server = createServer();
    const listener = await streamListener(server);
    const res = await stint(['audit', 'export', '--format', 'cef', '--after', '1', '--to', `syslog+tcp://127.0.0.1:${listener.port}`]);
    expect(res.code).toBe(0);
    const messages = await listener.received();
    server.close();
    expect(messages).toHaveLength(3);
    expect(messages.every((m) => m.startsWith('CEF:0|Stint|Stint|'))).toBe(true);
    expect(messages[2]).toContain('ünïcödé ✓');
  });

  it('ships over TLS to a collector whose certificate chains to --ca-file', async () => {
    const server = createTlsServer({ key: readFileSync(path.join(certs, 'server.key')), cert: readFileSync(path.join(certs, 'server.pem')) });
    const listener = await streamListener(server, 'secureConnection');
    const res = await stint(['audit', 'export', '--format', 'syslog', '--to', `syslog+tls://localhost:${listener.port}`, '--ca-file', path.join(certs, 'ca.pem')]);
    expect(res.err).toBe('');
    const messages = await listener.received();
    server.close();
    expect(messages.map((m) => /seq="(\d+)"/.exec(m)?.[1])).toEqual(['1', '2', '3', '4']);
  });

  it('fails with the reason for an untrusted certificate, an unreachable collector, or a URL it cannot use', async () => {
    const server = createTlsServer({ key: readFileSync(path.join(certs, 'server.key')), cert: readFileSync(path.join(certs, 'server.pem')) });
    const listener = await streamListener(server, 'secureConnection');
    const untrusted = await stint(['audit', 'export', '--to', `syslog+tls://localhost:${listener.port}`]);
    server.close();
    expect(untrusted.code).toBe(1);
    expect(untrusted.err).toMatch(/error UNAVAILABLE: cannot reach the syslog collector .*certificate/);

    const closed = createServer();
    const port = await new Promise<number>((resolve) => closed.listen(0, '127.0.0.1', () => resolve((closed.address() as AddressInfo).port)));
    await new Promise((resolve) => closed.close(resolve));
    const refused = await stint(['audit', 'export', '--to', `syslog+tcp://127.0.0.1:${port}`]);
    expect(refused.err).toMatch(/cannot reach the syslog collector .*ECONNREFUSED/);

    const bad = await stint(['audit', 'export', '--to', 'http://example.com']);
    expect(bad.err).toContain('use syslog+udp://host:514, syslog+tcp://host:601 or syslog+tls://host:6514');
  });
});
