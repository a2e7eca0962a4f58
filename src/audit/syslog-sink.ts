/**
 * Where `stint audit export --to` ships lines: a syslog collector over UDP (RFC 5426: one message per datagram),
 * TCP (RFC 6587 octet counting: `LEN SP MSG`) or TLS (RFC 5425, the same framing). `syslog+udp://host:514`,
 * `syslog+tcp://host:601`, `syslog+tls://host:6514` (the system's CAs, or those of `--ca-file`). A TCP or TLS
 * write waits for the socket to drain (back-pressure); a broken connection fails the export with the reason, so a
 * SIEM never silently misses events (resume with `--after`).
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { StintError } from '../domain/errors.ts';

export interface LineSink {
  write(line: string): Promise<void>;
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 10_000;
/** RFC 5426 recommends staying within what every receiver takes; longer messages are cut, never split. */
const UDP_MAX_BYTES = 8192;

export async function openSyslogSink(target: string, options: { caFile?: string } = {}): Promise<LineSink> {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw usage(target);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || defaultPort(url.protocol));
  if (!host || !Number.isInteger(port) || port <= 0) throw usage(target);
  switch (url.protocol) {
    case 'syslog+udp:':
      return udpSink(host, port);
    case 'syslog+tcp:':
      return streamSink(await open(() => connectTcp({ host, port }), 'connect', target));
    case 'syslog+tls:':
      return streamSink(await open(() => connectTls({ host, port, servername: host, ...(options.caFile && { ca: readFileSync(options.caFile) }) }), 'secureConnect', target));
    default:
      throw usage(target);
  }
}

function usage(target: string): StintError {
  return new StintError('INVALID_BODY', `--to "${target}": use syslog+udp://host:514, syslog+tcp://host:601 or syslog+tls://host:6514`);
}

function defaultPort(protocol: string): number {
  return protocol === 'syslog+tls:' ? 6514 : protocol === 'syslog+tcp:' ? 601 : 514;
}

function open(make: () => Socket, ready: 'connect' | 'secureConnect', target: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = make();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new StintError('UNAVAILABLE', `syslog collector ${target} did not answer within ${CONNECT_TIMEOUT_MS / 1000} s`));
    }, CONNECT_TIMEOUT_MS);
    socket.once(ready, () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new StintError('UNAVAILABLE', `cannot reach the syslog collector ${target}: ${err.message}`));
    });
  });
}

function streamSink(socket: Socket): LineSink {
  let failure: Error | null = null;
  socket.on('error', (err) => {
    failure = err;
  });
  return {
    async write(line) {
      if (failure) throw new StintError('UNAVAILABLE', `the syslog connection broke: ${failure.message}`);
      const message = Buffer.from(line, 'utf8');
      const framed = Buffer.concat([Buffer.from(`${message.length} `), message]);
      if (!socket.write(framed)) await new Promise<void>((resolve) => socket.once('drain', resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        socket.end(() => resolve());
      }),
  };
}

function udpSink(host: string, port: number): LineSink {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  return {
    write: (line) =>
      new Promise<void>((resolve, reject) => {
        let message = Buffer.from(line, 'utf8');
        if (message.length > UDP_MAX_BYTES) message = message.subarray(0, UDP_MAX_BYTES);
        socket.send(message, port, host, (err) => (err ? reject(new StintError('UNAVAILABLE', `syslog over UDP to ${host}:${port} failed: ${err.message}`)) : resolve()));
      }),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
