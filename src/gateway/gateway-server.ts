/**
 * The SSH gateway's server (`ssh2`): password logins only, where the user name is a request id and the password the
 * requester's Stint API token. A refusal never says which part was wrong (the audit does). A logged-in client gets
 * one pty shell; exec, subsystems (sftp), forwarding and agent or X11 requests are refused: the session is the
 * recorded shell and nothing else. One session per request at a time. An address with too many failed logins is
 * blocked for a while (login-throttle.ts), each replica counting its own.
 */
import type { AddressInfo } from 'node:net';
import ssh2, { type Connection, type ServerChannel } from 'ssh2';
import type { Actor } from '../core/actor.ts';
import { checkLaunchLogin } from '../core/open-launch.ts';
import type { AccessRequest } from '../domain/request.ts';
import type { GatewayDeps } from './gateway-deps.ts';
import { LaunchSession } from './launch-session.ts';
import { LoginThrottle } from './login-throttle.ts';
import type { PtyShape } from './upstream.ts';

export interface Gateway {
  port: number;
  fingerprint: string;
  /** Stops taking connections, closes open sessions (recordings stored; grants left to expire or reconnect). */
  close(): Promise<void>;
}

/** Wrong logins allowed per connection before it is dropped. */
const MAX_LOGIN_ATTEMPTS = 3;
const DEFAULT_PTY: PtyShape = { term: 'xterm-256color', cols: 80, rows: 24, width: 0, height: 0 };

export async function startGateway(deps: GatewayDeps, listen: { port: number; host: string }): Promise<Gateway> {
  const sessions = new Map<string, LaunchSession>();
  const connections = new Set<Connection>();
  const throttle = new LoginThrottle(deps.loginThrottle);
  let closing: Promise<void> | undefined;
  const server = new ssh2.Server({ hostKeys: [deps.hostKey.privateKey], ident: 'stint-gateway' }, (conn, info) => {
    connections.add(conn);
    conn.on('close', () => connections.delete(conn));
    conn.on('error', (err) => deps.logger.debug({ err: err.message, ip: info.ip }, 'gateway: client connection error'));
    handleConnection(conn, info.ip, deps, sessions, throttle);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    fingerprint: deps.hostKey.fingerprint,
    close() {
      closing ??= (async () => {
        server.close();
        await Promise.all(
          [...sessions].map(([id, s]) => s.end('shutdown', `stint: the gateway is shutting down; your access stays until it expires: reconnect with \`stint ssh --request ${id}\`.`)),
        );
        for (const conn of connections) conn.end();
      })();
      return closing;
    },
  };
}

function handleConnection(conn: Connection, ip: string, deps: GatewayDeps, sessions: Map<string, LaunchSession>, throttle: LoginThrottle): void {
  let login: { actor: Actor; request: AccessRequest } | undefined;
  let attempts = 0;
  conn.on('authentication', (ctx) => {
    if (ctx.method !== 'password') return ctx.reject(['password']);
    // Blocked: refused without a look-up or an audit event (the block's start was audited).
    if (throttle.blockedUntil(ip, deps.grants.clock.now().getTime()) !== undefined) {
      ctx.reject(['password']);
      return conn.end();
    }
    attempts += 1;
    void checkLogin(ctx.username, ctx.password, ip, deps, throttle).then((ok) => {
      if (ok) {
        login = ok;
        return ctx.accept();
      }
      ctx.reject(['password']);
      if (attempts >= MAX_LOGIN_ATTEMPTS) conn.end();
    });
  });
  // Nothing but the recorded shell: no port forwarding in either direction.
  conn.on('tcpip', (_accept, reject) => reject());
  conn.on('request', (_accept, reject) => reject?.());
  conn.on('ready', () => {
    let opened = false;
    conn.on('session', (accept) => {
      const session = accept();
      let pty: PtyShape = DEFAULT_PTY;
      let live: LaunchSession | undefined;
      session.on('pty', (ok, _no, info) => {
        pty = { term: info.term || DEFAULT_PTY.term, cols: info.cols || 80, rows: info.rows || 24, width: info.width, height: info.height };
        ok?.();
      });
      session.on('window-change', (ok, _no, info) => {
        pty = { ...pty, cols: info.cols, rows: info.rows, width: info.width, height: info.height };
        live?.resize(info);
        ok?.();
      });
      session.on('env', (ok) => ok?.());
      for (const refused of ['exec', 'subsystem', 'x11', 'auth-agent'] as const) session.on(refused as 'exec', (_ok, no) => no?.());
      session.on('shell', (ok) => {
        const channel = ok();
        if (!login || opened) return refuse(channel, 'stint: one shell per connection.');
        opened = true;
        const { actor, request } = login;
        if (sessions.has(request.id)) return refuse(channel, `stint: a session for ${request.id} is already open; one session per request at a time.`);
        live = new LaunchSession(deps, actor, request, channel, pty, ip);
        sessions.set(request.id, live);
        const current = live;
        void current.open().then(
          (started) => {
            if (!started) sessions.delete(request.id);
          },
          () => sessions.delete(request.id),
        );
        channel.on('close', () => {
          void current.end('client').finally(() => {
            if (sessions.get(request.id) === current) sessions.delete(request.id);
            conn.end();
          });
        });
      });
    });
  });
}

function refuse(channel: ServerChannel, message: string): void {
  channel.stderr.write(`${message}\r\n`);
  channel.exit(1);
  channel.end();
}

/** The login check; a refusal is audited with its real reason and told to the client as a plain "no". */
async function checkLogin(
  username: string,
  password: string,
  ip: string,
  deps: GatewayDeps,
  throttle: LoginThrottle,
): Promise<{ actor: Actor; request: AccessRequest } | undefined> {
  const requestId = username.slice(0, 64);
  let actor: Actor | undefined;
  try {
    actor = await deps.authenticate(password);
    const request = checkLaunchLogin(actor, await deps.store.getRequest(requestId), requestId, deps.grants.clock.now());
    return { actor, request };
  } catch (err) {
    const now = deps.grants.clock.now();
    const blockedUntil = throttle.recordFailure(ip, now.getTime());
    let reason = err instanceof Error ? err.message : String(err);
    if (blockedUntil !== undefined) {
      const until = new Date(blockedUntil).toISOString();
      reason += `; too many failed logins from ${ip}: its logins are refused until ${until}`;
      deps.logger.warn({ clientIp: ip, until }, 'gateway: too many failed logins from one address; blocking it');
    }
    const known = /^jit_[0-9A-Za-z]{10,40}$/.test(requestId) && (await deps.store.getRequest(requestId).catch(() => null)) !== null;
    await deps.store
      .appendAudit({ actor: actor?.id ?? 'unknown', action: 'session.refused', requestId: known ? requestId : null, data: { username: requestId, clientIp: ip, reason }, at: now })
      .catch((auditErr: unknown) => deps.logger.error({ err: auditErr }, 'gateway: could not audit a refused login'));
    return undefined;
  }
}
