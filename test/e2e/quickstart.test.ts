/**
 * The README's quickstart, as a newcomer runs it: `stint all` on the embedded defaults with the example
 * policy, then the CLI in separate processes — tokens, a request, two approvals, the audit chain verifies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/stint.js');
const run = promisify(execFile);

let server: ChildProcess;
let banner = '';
let env: Record<string, string>;

function cleanEnv(): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('STINT_') && k !== 'DATABASE_URL') copy[k] = v;
  return copy;
}

async function stint(args: string[], extra: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...env, ...extra }, cwd: ROOT });
    return { code: 0, stdout: stdout.trim(), stderr: stderr.trim() };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout.trim(), stderr: e.stderr.trim() };
  }
}

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'stint-e2e-'));
  server = spawn(process.execPath, [BIN, 'all'], {
    cwd: ROOT,
    env: { ...cleanEnv(), STINT_DATA_DIR: dataDir, STINT_POLICY: 'examples/stint.yaml', PORT: '0', LOG_LEVEL: 'warn', STINT_QUEUE_PREFIX: `quickstart-${process.pid}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stderr!.on('data', (d: Buffer) => (banner += d.toString()));
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${banner}`)), 60_000);
    server.stdout!.on('data', (d: Buffer) => {
      banner += d.toString();
      if (banner.includes('audit verify')) {
        clearTimeout(timer);
        done();
      }
    });
    server.once('exit', (code) => fail(new Error(`server exited ${code}:\n${banner}`)));
  });
  const exported = /export STINT_URL=(\S+) STINT_TOKEN=(\S+)/.exec(banner);
  expect(exported).not.toBeNull();
  env = { ...cleanEnv(), STINT_URL: exported![1]!, STINT_TOKEN: exported![2]! };
}, 90_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
});

describe('quickstart on the embedded defaults', () => {
  it('says where it listens, that it uses PGlite, and which surfaces are off', () => {
    expect(banner).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(banner).toContain('embedded PGlite');
    expect(banner).toMatch(/Slack\s+off/);
    expect(banner).toContain("STINT_TOKEN=$CAROL npx stint approve");
  });

  it('requests with the CLI, approves as two other people, and the audit chain verifies', async () => {
    const alice = (await stint(['token', 'create', '--for', 'alice'])).stdout;
    const carol = (await stint(['token', 'create', '--for', 'carol'])).stdout;
    const dave = (await stint(['token', 'create', '--for', 'dave'])).stdout;
    expect(alice).toMatch(/^stint_live_\S+$/);

    const created = await stint(['request', 'prod-orders-db', '1h', 'INC-1234', 'stuck', 'orders', '--json'], { STINT_TOKEN: alice });
    expect(created.code).toBe(0);
    const id = JSON.parse(created.stdout).id as string;

    const self = await stint(['approve', id], { STINT_TOKEN: alice });
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('SELF_APPROVAL');

    expect((await stint(['approve', id, 'ok'], { STINT_TOKEN: carol })).code).toBe(0);
    const final = await stint(['approve', id], { STINT_TOKEN: dave });
    expect(final.stdout).toContain('APPROVED');

    // The example's database is not configured (ORDERS_DB_ADMIN_URL unset): activation fails closed, says why.
    const deadline = Date.now() + 30_000;
    let shown = '';
    while (!shown.includes('GRANT_FAILED')) {
      if (Date.now() > deadline) throw new Error(`not failed closed in time:\n${shown}`);
      shown = (await stint(['show', id], { STINT_TOKEN: alice })).stdout;
    }
    expect(shown).toMatch(/why\s+.*ORDERS_DB_ADMIN_URL/);
    const audit = (await stint(['audit', 'export', '--format', 'json'])).stdout;
    expect(audit).toMatch(/grant\.failed.*ORDERS_DB_ADMIN_URL/);

    const verified = await stint(['audit', 'verify']);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/Audit chain OK: \d+ events/);
  }, 120_000);

  it('stops cleanly on SIGTERM', async () => {
    server.kill('SIGTERM');
    const code = await new Promise((r) => server.once('exit', r));
    expect(code).toBe(0);
  }, 30_000);
});
