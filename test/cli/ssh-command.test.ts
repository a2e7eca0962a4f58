/**
 * `stint ssh` and `stint session play` in-process against a real app with its gateway (fake target): the refusals of
 * user-supplied options, a whole session with the remote exit status, and the recording's hash check.
 */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { runCli } from '../../src/cli/program.ts';
import { play } from '../../src/cli/session-command.ts';
import type { Terminal } from '../../src/cli/terminal.ts';
import { gatewayHarness, type GatewayHarness } from '../gateway/gateway-harness.ts';

let h: GatewayHarness;
let url: string;
beforeAll(async () => {
  h = await gatewayHarness();
  url = (await h.app.listen()).replace('[::1]', 'localhost');
});
afterAll(async () => {
  await h?.close();
});

function cli(who = 'alice') {
  const out: string[] = [];
  const err: string[] = [];
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let screen = '';
  stdout.on('data', (c: Buffer) => (screen += c.toString()));
  const terminal = { stdin, stdout, stderr: new PassThrough() } as unknown as Terminal;
  const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env: { STINT_URL: url, STINT_TOKEN: h.tokens[who] }, terminal };
  return { io, out, err, stdin, screen: () => screen, run: (...argv: string[]) => runCli(argv, io) };
}

const until = async (what: () => Promise<boolean> | boolean, timeoutMs = 25_000) => {
  const end = Date.now() + timeoutMs;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('stint ssh refusals', () => {
  for (const [argv, what] of [
    [['ssh', '-l', 'root', 'web-1'], '-l/--login'],
    [['ssh', '--login', 'root', 'web-1'], '-l/--login'],
    [['ssh', '-i', '/home/alice/.ssh/id_ed25519', 'web-1'], '-i'],
    [['ssh', '-o', 'StrictHostKeyChecking=no', 'web-1'], '-o'],
    [['ssh', 'root@web-1'], '"root@web-1": a user@host form'],
  ] as const) {
    it(`refuses ${argv.slice(1).join(' ')}: a JIT launch cannot take a user-supplied credential or host option`, async () => {
      const c = cli();
      expect(await c.run(...argv)).toBe(1);
      expect(c.err.join('\n')).toBe(
        `error INVALID_BODY: JIT launch cannot be combined with a user-supplied credential or host options (${what}): stint ssh connects through the Stint gateway to the resource's pinned host, as an account made for this request; drop ${what}`,
      );
    });
  }
});

describe('stint ssh', () => {
  it('requests launch access, waits for the approval, runs the session through the gateway and exits with the remote status', async () => {
    const c = cli();
    const running = c.run('ssh', 'web-1', '--duration', '20m', '--reason', 'INC-7 restart web');
    let id = '';
    await until(async () => {
      const pending = (await h.app.store.listRequests({ requesterId: 'alice', statuses: ['PENDING'] })).find((r) => r.launch && r.reason === 'INC-7 restart web');
      id = pending?.id ?? '';
      return id !== '';
    });
    await until(() => c.err.join('\n').includes(`${id}: waiting for approval by `));
    expect(c.err.join('\n')).toContain('bob@example.com');
    expect((await h.call('bob', 'POST', `/api/v1/credentials/jit/${id}/approve`, {})).status).toBe(200);
    await activateGrant(id, h.app.grants);
    await until(() => c.screen().includes('$ '));
    c.stdin.write('echo through-the-gateway\r');
    await until(() => /through-the-gateway\r\n/.test(c.screen()));
    c.stdin.write('exit 5\r');
    expect(await running).toBe(5);
    expect(c.err.join('\n')).toContain(`Recording: \`stint session play ${id}\``);
    await until(async () => (await h.app.store.getRequest(id))?.status === 'REVOKED');
    const request = (await h.app.store.getRequest(id))!;
    expect(request.durationSec).toBe(1200);
    expect(request.revokeCause).toBe('done');
  });

  it('asks for the resource maximum when the default hour is above it, and stops when the request is cancelled', async () => {
    const c = cli();
    const running = c.run('ssh', 'web-short');
    let id = '';
    await until(async () => {
      id = (await h.app.store.listRequests({ requesterId: 'alice', statuses: ['PENDING'] })).find((r) => r.scopes[0] === 'web-short')?.id ?? '';
      return id !== '';
    });
    expect((await h.app.store.getRequest(id))!.durationSec).toBe(1800);
    expect((await h.call('alice', 'POST', `/api/v1/credentials/jit/${id}/cancel`, {})).status).toBe(200);
    expect(await running).toBe(1);
    expect(c.err.join('\n')).toContain(`error NOT_PENDING: ${id} is CANCELLED; there is no session to open`);
  });

  it('withdraws the request when interrupted while waiting for approval (exit 130)', async () => {
    const c = cli();
    const interrupt = new AbortController();
    const running = runCli(['ssh', 'web-1', '--reason', 'changed my mind'], { ...c.io, signal: interrupt.signal });
    let id = '';
    await until(async () => {
      id = (await h.app.store.listRequests({ requesterId: 'alice', statuses: ['PENDING'] })).find((r) => r.reason === 'changed my mind')?.id ?? '';
      return id !== '' && c.err.join('\n').includes('waiting for approval');
    });
    interrupt.abort();
    expect(await running).toBe(130);
    expect(c.err.join('\n')).toContain(`stint: interrupted; ${id} is cancelled.`);
    expect((await h.app.store.getRequest(id))!.status).toBe('CANCELLED');
  });

  it('never shortens an explicit --duration above the maximum', async () => {
    const c = cli();
    expect(await c.run('ssh', 'web-1', '--duration', '3h')).toBe(1);
    expect(c.err.join('\n')).toContain('error DURATION_TOO_LONG');
  });
});

describe('stint session play', () => {
  let id: string;
  beforeAll(async () => {
    id = await h.activeLaunch();
    const c = cli();
    const running = c.run('ssh', '--request', id);
    await until(() => c.screen().includes('$ '));
    c.stdin.write('echo recorded-words\r');
    await until(() => /recorded-words\r\n/.test(c.screen()));
    c.stdin.write('exit\r');
    expect(await running).toBe(0);
  });

  it('replays the recording after checking its hash against the stored one and the audit event', async () => {
    const c = cli();
    expect(await c.run('session', 'play', id, '--speed', '100')).toBe(0);
    expect(c.screen()).toContain('recorded-words');
    expect(c.err.join('\n')).toMatch(/sha256 [0-9a-f]{64} matches the stored hash and audit event #\d+/);
  });

  it('lets an approver of the request play it, and hides it from others', async () => {
    expect(await cli('bob').run('session', 'play', id, '--speed', '100')).toBe(0);
    const zoe = cli('zoe');
    expect(await zoe.run('session', 'play', id)).toBe(1);
    expect(zoe.err.join('\n')).toContain('error NOT_FOUND');
  });

  it('fails loudly and plays nothing when the stored recording was changed', async () => {
    await h.app.store.driver.query(`UPDATE "SessionRecording" SET "content" = replace("content", 'recorded-words', 'innocent-words') WHERE "requestId" = $1`, [id]);
    const c = cli();
    expect(await c.run('session', 'play', id)).toBe(1);
    expect(c.err.join('\n')).toMatch(/error AUDIT_BROKEN: Recording rec_\w+ was changed: its content hashes to [0-9a-f]{64}, but [0-9a-f]{64} was stored with it/);
    expect(c.screen()).toBe('');
  });

  it('fails loudly when the stored hash was changed to match but the audit event disagrees', async () => {
    const [row] = await h.app.store.driver.query<{ content: string }>(`SELECT "content" FROM "SessionRecording" WHERE "requestId" = $1`, [id]);
    const { createHash } = await import('node:crypto');
    const forged = createHash('sha256').update(Buffer.from(row!.content, 'utf8')).digest('hex');
    await h.app.store.driver.query(`UPDATE "SessionRecording" SET "sha256" = $2 WHERE "requestId" = $1`, [id, forged]);
    const c = cli();
    expect(await c.run('session', 'play', id)).toBe(1);
    expect(c.err.join('\n')).toMatch(/error AUDIT_BROKEN: Recording rec_\w+ hashes to [0-9a-f]{64}, but its session\.recorded audit event #\d+ says [0-9a-f]{64}/);
  });

  it('keeps the recorded timing, divided by the speed and capped at the idle limit', async () => {
    const pauses: number[] = [];
    const written: string[] = [];
    const content = ['{"version":2,"width":80,"height":24}', '[0.5,"o","a"]', '[1.5,"o","b"]', '[9.5,"r","100x30"]', '[10,"o","c"]', ''].join('\n');
    await play(content, { speed: 2, idleLimit: 2, write: (t) => written.push(t), sleep: async (ms) => void pauses.push(ms) });
    expect(written).toEqual(['a', 'b', 'c']);
    expect(pauses).toEqual([250, 500, 250]);
  });
});
