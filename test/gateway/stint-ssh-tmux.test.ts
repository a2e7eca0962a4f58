/**
 * `stint ssh` as a user runs it: the real CLI process on a tmux pseudo-terminal, against an app with its gateway and
 * a fake target (test/e2e/stint-ssh.test.ts does the same against `stint all` and a real sshd). Approval by a
 * second person over REST, a command and `exit` through the gateway, the grant revoked within 2 s, the recording's
 * hash equal to its audit event's, and the session key nowhere in the client's screen, environment, argv or files.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { runStintInTmux, type TmuxClient } from '../support/tmux-client.ts';
import { gatewayHarness, type GatewayHarness } from './gateway-harness.ts';

let h: GatewayHarness;
let dir: string;
let client: TmuxClient | undefined;
beforeAll(async () => {
  h = await gatewayHarness();
  dir = mkdtempSync(join(tmpdir(), 'stint-ssh-tmux-'));
});
afterAll(async () => {
  await client?.close();
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function filesUnder(path: string): string[] {
  return readdirSync(path).flatMap((name) => {
    const full = join(path, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe('stint ssh on a terminal', () => {
  it('requests, waits for a second person, runs a command through the gateway, exits, and the grant is revoked within 2 s', async () => {
    const url = (await h.app.listen()).replace('[::1]', 'localhost');
    client = await runStintInTmux(dir, ['ssh', 'web-1', '--duration', '10m', '--reason', 'INC-9 check logs'], { STINT_URL: url, STINT_TOKEN: h.tokens.alice! });
    await client.waitFor('waiting for approval by');
    const [request] = (await h.app.store.listRequests({ requesterId: 'alice', statuses: ['PENDING'] })).filter((r) => r.reason === 'INC-9 check logs');
    const id = request!.id;
    expect((await h.call('bob', 'POST', `/api/v1/credentials/jit/${id}/approve`, { comment: 'go' })).status).toBe(200);
    await activateGrant(id, h.app.grants);

    await client.waitFor(/welcome stint_\w+/);
    await client.type('echo typed-on-a-pty');
    await client.waitFor(/typed-on-a-pty\s*\n.*typed-on-a-pty/s);
    const [pid] = client.stintPids();
    expect(pid).toBeDefined();
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    expect(argv).not.toContain(h.tokens.alice);

    await client.type('exit 7');
    expect(await client.exitStatus()).toBe(7);
    const exitedAt = Date.now();
    while ((await h.app.store.getRequest(id))!.status !== 'REVOKED') {
      expect(Date.now() - exitedAt).toBeLessThan(2000);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await h.app.store.getRequest(id))!.revokeCause).toBe('done');

    const recording = (await h.app.store.latestSessionRecording(id))!;
    const [event] = (await h.app.store.readAudit(0n, 100_000)).filter((e) => e.requestId === id && e.action === 'session.recorded');
    expect(event!.data.sha256).toBe(recording.sha256);
    expect(recording.content).toContain('typed-on-a-pty');

    const privateKey = h.sessionKeys.at(-1)!;
    const keyBody = privateKey.split('\n').filter((l) => l && !l.startsWith('-----')).join('');
    const screen = await client.screen();
    const files = filesUnder(client.home).map((f) => readFileSync(f, 'utf8')).join('\n');
    for (const where of [screen, environ, argv, files]) {
      expect(where).not.toContain(keyBody.slice(0, 32));
      expect(where).not.toContain('PRIVATE KEY');
    }
  });
});
