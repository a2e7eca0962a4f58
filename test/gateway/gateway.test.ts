/**
 * The SSH gateway against a fake target (an ssh2 server that accepts only the keys its provider authorized): logins,
 * the session, its recording and hash, the grant ending with the session, expiry, and the session key never leaving.
 */
import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayHarness, type GatewayHarness } from './gateway-harness.ts';
import { login, openShell } from './gateway-client.ts';

let h: GatewayHarness;
beforeAll(async () => {
  h = await gatewayHarness();
});
afterAll(async () => {
  await h?.close();
});

const auditOf = async (requestId: string | null, action: string) => (await h.app.store.readAudit(0n, 100_000)).filter((e) => e.action === action && (requestId === null || e.requestId === requestId));
const until = async (what: () => Promise<boolean>, timeoutMs = 15_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('gateway logins', () => {
  it('refuses a wrong token, a foreign request, a request without launch and a pending one alike, auditing the real reason', async () => {
    const id = await h.activeLaunch();
    const plain = await h.call('alice', 'POST', '/api/v1/credentials/jit', { scopes: ['web-1'], duration: '30m', reason: 'no launch' });
    const pending = await h.call('alice', 'POST', '/api/v1/credentials/jit', { scopes: ['web-1'], duration: '30m', reason: 'pending', launch: true });
    const attempts: Array<[string, string, RegExp]> = [
      [id, 'stint_live_not-a-token', /Unknown token/],
      [id, h.tokens.mallory!, /alice's request, not mallory's/],
      [plain.body.id, h.tokens.alice!, /was not requested with launch/],
      [pending.body.id, h.tokens.alice!, /is PENDING, not ACTIVE/],
      ['jit_nope', h.tokens.alice!, /no request jit_nope/],
    ];
    for (const [username, password, reason] of attempts) {
      await expect(login(h.gateway.port, username, password)).rejects.toThrow('refused');
      const refused = (await auditOf(null, 'session.refused')).filter((e) => e.data.username === username);
      expect(refused.map((e) => String(e.data.reason))).toContainEqual(expect.stringMatching(reason));
    }
    // The password is never in the audit.
    const events = JSON.stringify((await auditOf(null, 'session.refused')).map((e) => e.data));
    expect(events).not.toContain(h.tokens.alice);
    expect(events).not.toContain(h.tokens.mallory);
  });
});

describe('a launch session', () => {
  it('opens the shell upstream, forwards input, window changes and the exit status, records it, and ends the grant (done)', async () => {
    const id = await h.activeLaunch();
    const session = await openShell(h.gateway.port, id, h.tokens.alice!, { cols: 100, rows: 30 });
    await session.waitFor('$ ');
    session.send('echo hello-from-target\r');
    await session.waitFor(/hello-from-target\r\n.*hello-from-target/s);
    session.resize(120, 40);
    await until(async () => h.upstream.resizes.some((r) => r.cols === 120 && r.rows === 40));
    session.send('size\r');
    await session.waitFor('120x40');
    session.send('exit 3\r');
    expect(await session.closed).toBe(3);

    // The upstream pty got the client's terminal type and size.
    expect(h.upstream.ptys.at(-1)).toMatchObject({ term: 'xterm-256color' });
    await until(async () => (await h.app.store.getRequest(id))?.status === 'REVOKED');
    const request = (await h.app.store.getRequest(id))!;
    expect(request.revokeCause).toBe('done');
    expect((await auditOf(id, 'grant.revoking'))[0]?.actor).toBe('alice');
    expect(await auditOf(id, 'session.started')).toHaveLength(1);

    const recording = (await h.app.store.latestSessionRecording(id))!;
    const bytes = Buffer.from(recording.content, 'utf8');
    expect(recording.bytes).toBe(bytes.length);
    expect(recording.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    const [recorded] = await auditOf(id, 'session.recorded');
    expect(recorded!.data).toMatchObject({ recordingId: recording.id, sha256: recording.sha256, bytes: recording.bytes, exitStatus: 3 });
    expect(typeof recorded!.data.durationMs).toBe('number');

    const [header, ...events] = recording.content.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(header).toMatchObject({ version: 2, width: 100, height: 30, env: { TERM: 'xterm-256color' } });
    expect(typeof header.timestamp).toBe('number');
    const output = events.filter((e) => e[1] === 'o').map((e) => e[2]).join('');
    expect(output).toContain('hello-from-target');
    expect(events).toContainEqual([expect.any(Number), 'r', '120x40']);
    for (const [t, kind, text] of events) expect([typeof t, typeof kind, typeof text]).toEqual(['number', 'string', 'string']);
  });

  it('authorizes exactly the in-memory key upstream and never sends its private half to the client', async () => {
    const id = await h.activeLaunch();
    const before = h.sessionKeys.length;
    const session = await openShell(h.gateway.port, id, h.tokens.alice!);
    await session.waitFor('$ ');
    session.send('exit\r');
    expect(await session.closed).toBe(0);
    const privateKey = h.sessionKeys[before]!;
    const publicKey = (ssh2.utils.parseKey(privateKey) as ssh2.ParsedKey).getPublicSSH().toString('base64');
    expect(h.upstream.allowed.at(-1)).toContain(publicKey);
    const body = privateKey.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    for (const piece of [privateKey, body, body.slice(0, 40), 'PRIVATE KEY']) expect(session.output()).not.toContain(piece);
    const recording = await h.app.store.latestSessionRecording(id);
    expect(recording!.content).not.toContain(body.slice(0, 40));
    const audit = JSON.stringify(await h.app.store.readAudit(0n, 100_000), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    expect(audit).not.toContain(body.slice(0, 40));
  });

  it('fails closed when the target offers a host key that is not pinned, telling the user, and keeps the grant', async () => {
    const id = await h.activeLaunch('alice', 'web-badkey');
    const logins = h.upstream.offered.length;
    const session = await openShell(h.gateway.port, id, h.tokens.alice!);
    expect(await session.closed).toBe(1);
    expect(session.output()).toMatch(/the host key of 127\.0\.0\.1:\d+ \(SHA256:[A-Za-z0-9+/]{43}\) is not pinned for this resource; refusing to connect/);
    expect(h.upstream.offered.length).toBe(logins);
    expect((await h.app.store.getRequest(id))!.status).toBe('ACTIVE');
    expect((await auditOf(id, 'session.failed'))[0]?.data.reason).toContain('is not pinned');
  });

  it('closes the session at expiry with a line saying the access expired', async () => {
    const id = await h.activeLaunch();
    const session = await openShell(h.gateway.port, id, h.tokens.alice!);
    await session.waitFor('$ ');
    h.clock.advance(31 * 60_000);
    expect(await session.closed).toBe(1);
    expect(session.output()).toMatch(/stint: access to web-1 expired at .*; the session is closed\./);
    h.clock.advance(-31 * 60_000);
  });

  it('closes the session when the grant is revoked first (the revoke ends the user\'s processes)', async () => {
    const id = await h.activeLaunch();
    const session = await openShell(h.gateway.port, id, h.tokens.alice!);
    await session.waitFor('$ ');
    const revoked = await h.call('bob', 'POST', `/api/v1/credentials/jit/${id}/revoke`, { comment: 'enough' });
    expect(revoked.status).toBe(200);
    await session.closed;
    expect((await h.app.store.getRequest(id))!.revokeCause).toBe('revoked');
  });

  it('allows one session per request at a time', async () => {
    const id = await h.activeLaunch();
    const first = await openShell(h.gateway.port, id, h.tokens.alice!);
    await first.waitFor('$ ');
    const second = await openShell(h.gateway.port, id, h.tokens.alice!);
    expect(await second.closed).toBe(1);
    expect(second.output()).toContain(`a session for ${id} is already open; one session per request at a time`);
    first.send('exit\r');
    expect(await first.closed).toBe(0);
  });

  it('refuses exec and subsystems: the session is the recorded shell only', async () => {
    const id = await h.activeLaunch();
    const client = await login(h.gateway.port, id, h.tokens.alice!);
    const exec = await new Promise<Error | undefined>((resolve) => client.exec('id', (err) => resolve(err)));
    const sftp = await new Promise<Error | undefined>((resolve) => client.sftp((err) => resolve(err)));
    client.end();
    expect(exec).toBeInstanceOf(Error);
    expect(sftp).toBeInstanceOf(Error);
  });
});

describe('the gateway over REST', () => {
  it('tells clients where the gateway listens and which host key fingerprint to pin', async () => {
    const info = await h.call('alice', 'GET', '/api/v1/gateway');
    expect(info.status).toBe(200);
    expect(info.body).toEqual({ enabled: true, host: null, port: h.gateway.port, hostKeyFingerprint: h.gateway.fingerprint });
    expect((await h.call('nobody', 'GET', '/api/v1/gateway')).status).toBe(401);
  });

  it('answers NOT_FOUND for the recording of a request without a session, and to people who may not see it', async () => {
    const id = await h.activeLaunch();
    const none = await h.call('alice', 'GET', `/api/v1/credentials/jit/${id}/recording`);
    expect(none.status).toBe(404);
    expect(none.body.error.message).toContain('has no session recording');
    const session = await openShell(h.gateway.port, id, h.tokens.alice!);
    await session.waitFor('$ ');
    session.send('exit\r');
    await session.closed;
    await until(async () => (await h.app.store.latestSessionRecording(id)) !== null);
    for (const who of ['alice', 'bob', 'erin']) expect((await h.call(who, 'GET', `/api/v1/credentials/jit/${id}/recording`)).status).toBe(200);
    const hidden = await h.call('zoe', 'GET', `/api/v1/credentials/jit/${id}/recording`);
    expect(hidden.status).toBe(404);
    const answer = (await h.call('alice', 'GET', `/api/v1/credentials/jit/${id}/recording`)).body;
    expect(answer.auditEvent).toMatchObject({ action: 'session.recorded', data: { sha256: answer.recording.sha256 } });
  });
});

describe('gateway shutdown', () => {
  it('closes open sessions with a line saying so, stores their recordings, and leaves the grant for a reconnect', async () => {
    const other = await gatewayHarness();
    try {
      const id = await other.activeLaunch();
      const session = await openShell(other.gateway.port, id, other.tokens.alice!);
      await session.waitFor('$ ');
      await other.gateway.close();
      await session.closed;
      expect(session.output()).toContain('the gateway is shutting down');
      expect(await other.app.store.latestSessionRecording(id)).not.toBeNull();
      expect((await other.app.store.getRequest(id))!.status).toBe('ACTIVE');
    } finally {
      await other.close();
    }
  });
});
