/**
 * Issue 8 end to end: the real `stint all` (PostgreSQL, Redis, workers, the SSH gateway on STINT_SSH_PORT), a real
 * sshd started by the test (test/support/sshd.ts) behind a `linux` resource with jit.create_ephemeral, and the real
 * `stint ssh` on a tmux pseudo-terminal as alice. bob approves over REST; a command and `exit` run through the
 * gateway; the grant is revoked within 2 s of the exit and the ephemeral account is gone; the recording's hash equals
 * its session.recorded audit event's; no key material appears in the client's screen, environment, argv or files.
 * Needs root (the account is made on this machine) and the linux provider; skipped where either is missing.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { cleanEnv, spawnStint, stopAllStintProcesses, type StintProcess } from '../support/stint-process.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';
import { freePort, sharedRedisEnv } from '../support/test-redis.ts';
import { runStintInTmux, type TmuxClient } from '../support/tmux-client.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SSHD_HELPER = join(ROOT, 'test/support/sshd.ts');
const READY = existsSync(join(ROOT, 'src/providers/linux/linux-provider.ts')) && existsSync(SSHD_HELPER) && process.getuid?.() === 0;
const ADMIN = 'e2e-stint-ssh-bootstrap-token-0123456789';

interface TestSshd {
  host: string;
  port: number;
  knownHostsLine: string;
  privateKeyPath: string;
  stop(): Promise<void>;
}

let db: TestDatabase;
let dir: string;
let sshd: TestSshd | undefined;
let stint: StintProcess;
let base: string;
let client: TmuxClient | undefined;
const tokens: Record<string, string> = {};
/** Requests of this file: a failed run must not leave their accounts on this machine. */
const requestIds: string[] = [];

/** Removes the local accounts the linux provider made for these requests (their GECOS says `stint request <id>`). */
function removeLeftoverAccounts(): void {
  const passwd = execFileSync('getent', ['passwd'], { encoding: 'utf8' });
  for (const line of passwd.split('\n')) {
    const [name, , , , gecos] = line.split(':');
    if (!name || !requestIds.some((id) => gecos?.includes(id))) continue;
    for (const command of [['pkill', '-KILL', '-u', name], ['userdel', '-r', '-f', name]]) {
      try {
        execFileSync(command[0]!, command.slice(1), { stdio: 'ignore' });
      } catch {
        // pkill: no process left (exit 1)
      }
    }
  }
}

async function api(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // NDJSON
  }
  return { status: response.status, body: parsed, text };
}

function userExists(name: string): boolean {
  try {
    execFileSync('getent', ['passwd', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function filesUnder(path: string): string[] {
  return readdirSync(path).flatMap((name) => {
    const full = join(path, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe.skipIf(!READY)('stint ssh end to end (stint all, real sshd, linux provider)', () => {
  beforeAll(async () => {
    const { startSshd } = (await import(SSHD_HELPER)) as { startSshd(): Promise<TestSshd> };
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'stint-ssh-e2e-'));
    sshd = await startSshd();
    writeFileSync(
      join(dir, 'stint.yaml'),
      `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [sre] }
  - { id: bob, email: bob@example.com, groups: [sre] }
  - { id: erin, email: erin@example.com, groups: [security] }
admins: [group:security]
timezone: UTC
resources:
  - id: host-1
    provider:
      type: linux
      host: ${sshd.host}
      port: ${sshd.port}
      knownHosts: "${sshd.knownHostsLine}"
      user: root
      privateKey: "file:${sshd.privateKeyPath}"
      jit: { create_ephemeral: true }
    maxDuration: 1h
    workflow: sre
workflows:
  sre: { eligible: [group:sre], approvers: [group:sre], required: 1 }
`,
    );
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    stint = await spawnStint('all', {
      name: 'stint-ssh',
      env: {
        ...cleanEnv(),
        ...sharedRedisEnv(),
        DATABASE_URL: db.url,
        PORT: String(port),
        METRICS_PORT: String(await freePort()),
        STINT_SSH_PORT: String(await freePort()),
        STINT_DATA_DIR: join(dir, 'data'),
        STINT_POLICY: join(dir, 'stint.yaml'),
        STINT_ADMIN_TOKEN: ADMIN,
        LOG_LEVEL: 'info',
      },
    });
    for (const id of ['alice', 'bob', 'erin']) {
      const created = await api(ADMIN, 'POST', '/api/v1/tokens', { for: id, ...(id === 'erin' ? { scopes: ['request', 'approve', 'audit:read'] } : {}) });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      tokens[id] = created.body.token;
    }
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await stopAllStintProcesses();
    removeLeftoverAccounts();
    await sshd?.stop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('says at start-up that the SSH gateway is on, with its host key', () => {
    expect(stint.output()).toMatch(/SSH\s+on\s+port \d+ \(host key SHA256:[A-Za-z0-9+/]{43}/);
  });

  it('requests, is approved by a second person, runs a command, exits, and the grant and account are gone within 2 s', async () => {
    client = await runStintInTmux(dir, ['ssh', 'host-1', '--duration', '10m', '--reason', 'INC-8 look at the logs'], { STINT_URL: base, STINT_TOKEN: tokens.alice! });
    await client.waitFor('waiting for approval by');
    const mine = await api(tokens.alice!, 'GET', '/api/v1/requests?view=mine&status=PENDING');
    const id = (mine.body.requests as Array<{ id: string; reason: string; launch: boolean }>).find((r) => r.reason === 'INC-8 look at the logs' && r.launch)!.id;
    requestIds.push(id);
    expect((await api(tokens.bob!, 'POST', `/api/v1/credentials/jit/${id}/approve`, { comment: 'ok' })).status).toBe(200);

    // The ephemeral account's own shell on the target.
    await client.waitFor(/stint-[0-9a-f]{16}@/, 60_000);
    await client.type('echo "e2e-$((6*7))"; whoami');
    const screen = await client.waitFor(/e2e-42\s*\nstint-[0-9a-f]{16}/);
    const account = /e2e-42\s*\n(stint-[0-9a-f]{16})/.exec(screen)![1]!;
    expect(userExists(account)).toBe(true);
    const [pid] = client.stintPids();
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    expect(argv).not.toContain(tokens.alice);

    await client.type('exit');
    expect(await client.exitStatus()).toBe(0);
    const exitedAt = Date.now();
    let status = '';
    while (status !== 'REVOKED') {
      status = (await api(tokens.alice!, 'GET', `/api/v1/credentials/jit/${id}`)).body.status;
      // Seen from here (tmux, the exit-status file, this poll): a coarse bound; the 2 s is measured in the chain below.
      if (status !== 'REVOKED') expect(Date.now() - exitedAt, `still ${status}`).toBeLessThan(5000);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await api(tokens.alice!, 'GET', `/api/v1/credentials/jit/${id}`)).body.revokeCause).toBe('done');
    expect(userExists(account)).toBe(false);

    // The recording: its bytes hash to the stored hash and to the session.recorded event in the audit chain.
    const recording = await api(tokens.alice!, 'GET', `/api/v1/credentials/jit/${id}/recording`);
    expect(recording.status).toBe(200);
    const sha256 = createHash('sha256').update(Buffer.from(recording.body.recording.content, 'utf8')).digest('hex');
    expect(recording.body.recording.sha256).toBe(sha256);
    const audit = await api(tokens.erin!, 'GET', '/api/v1/audit?after=0');
    const recorded = audit.text.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.action === 'session.recorded' && e.requestId === id);
    expect(recorded.data.sha256).toBe(sha256);
    // The session ended at the gateway (session.recorded) → REVOKED (grant.revoked): within 2 s, by the server's clock.
    const revoked = audit.text.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.action === 'grant.revoked' && e.requestId === id);
    expect(Date.parse(revoked.at) - Date.parse(recorded.at), 'session end → REVOKED (ms)').toBeLessThanOrEqual(2000);
    expect(recording.body.recording.content).toContain('e2e-42');
    const verify = await api(tokens.erin!, 'GET', '/api/v1/audit/verify');
    expect(verify.status).toBe(200);

    // `stint session play` checks the same hashes and replays it.
    let played = '';
    const code = await runCli(['session', 'play', id, '--speed', '50'], {
      out: () => undefined,
      err: () => undefined,
      env: { STINT_URL: base, STINT_TOKEN: tokens.alice! },
      terminal: { stdin: process.stdin, stdout: { write: (t: string) => ((played += t), true) } as never, stderr: process.stderr },
    });
    expect(code).toBe(0);
    expect(played).toContain('e2e-42');

    // No key material anywhere on the client's side: it never had any.
    const files = filesUnder(client.home).map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const where of [await client.screen(), environ, argv, files]) {
      expect(where).not.toMatch(/PRIVATE KEY|BEGIN OPENSSH/);
    }
    expect(existsSync(join(client.home, '.ssh'))).toBe(false);
  }, 120_000);
});
