/**
 * Signed audit anchors (DESIGN.md section 8), as an operator uses them: `stint audit export` with
 * STINT_AUDIT_SIGNING_KEY interleaves Ed25519-signed anchors of the head; `stint audit verify --anchors FILE`
 * then catches what the hash chain alone cannot — someone with database access rewriting the chain wholesale
 * (every hash recomputed) — as well as an altered anchor or one signed by another key. `--follow` streams new
 * events and anchors them when it stops.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashEvent } from '../../src/audit/chain.ts';
import { runCli } from '../../src/cli/program.ts';
import { openStore } from '../../src/store/open-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const KEY = pem();
let db: TestDatabase;
let dir: string;

async function append(n: number, from = 0): Promise<void> {
  const store = await openStore({ databaseUrl: db.url });
  try {
    for (let i = from; i < from + n; i++) await store.appendAudit({ actor: 'alice', action: 'request.created', requestId: `jit_${i}`, data: { i }, at: new Date() });
  } finally {
    await store.close();
  }
}

async function stint(args: string[], env: Record<string, string> = {}, signal?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env: { DATABASE_URL: db.url, ...env }, ...(signal && { signal }) });
  return { code, out, err: err.join('\n') };
}

async function exportFile(name: string, extra: string[] = []): Promise<string> {
  const res = await stint(['audit', 'export', '--format', 'json', '--anchor-every', '2', ...extra], { STINT_AUDIT_SIGNING_KEY: KEY });
  expect(res.code).toBe(0);
  const file = path.join(dir, name);
  await writeFile(file, `${res.out.join('\n')}\n`);
  return file;
}

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'stint-anchors-'));
  await append(5);
}, 60_000);
afterAll(async () => db?.drop());

describe('signed audit anchors', () => {
  it('interleaves an anchor after every N events and after the last, and verify --anchors accepts them', async () => {
    const file = await exportFile('intact.ndjson');
    const res = await stint(['audit', 'export', '--format', 'json', '--anchor-every', '2'], { STINT_AUDIT_SIGNING_KEY: KEY });
    const kinds = res.out.map((l) => (JSON.parse(l).type === 'anchor' ? `a${JSON.parse(l).seq}` : `e${JSON.parse(l).seq}`));
    expect(kinds).toEqual(['e1', 'e2', 'a2', 'e3', 'e4', 'a4', 'e5', 'a5']);
    const ok = await stint(['audit', 'verify', '--anchors', file], { STINT_AUDIT_SIGNING_KEY: KEY });
    expect(ok.err).toBe('');
    expect(ok.out.join('\n')).toMatch(/^Audit chain OK: 5 events, head [0-9a-f]{64}; 3 signed anchors match \(latest at seq 5\)$/);
  });

  it('signs anchors in syslog and CEF exports too, and none without a key', async () => {
    const syslog = await stint(['audit', 'export', '--format', 'syslog', '--anchor-every', '5'], { STINT_AUDIT_SIGNING_KEY: KEY });
    expect(syslog.out.at(-1)).toMatch(/ audit\.anchor \[stint@32473 seq="5" hash="[0-9a-f]{64}" keyId="[0-9a-f]{16}" signature="[A-Za-z0-9+/=]+"\] -$/);
    const cef = await stint(['audit', 'export', '--format', 'cef'], { STINT_AUDIT_SIGNING_KEY: KEY });
    expect(cef.out.at(-1)).toMatch(/^CEF:0\|Stint\|Stint\|[^|]+\|audit\.anchor\|/);
    expect((await stint(['audit', 'export'])).out.some((l) => l.includes('"anchor"'))).toBe(false);
  });

  it('refuses an altered anchor, an anchor from another key, and a key that is not Ed25519', async () => {
    const file = await exportFile('to-alter.ndjson');
    const text = (await import('node:fs')).readFileSync(file, 'utf8');
    const altered = text.replace(/"type":"anchor","seq":"4","hash":"([0-9a-f])/, (_m, c: string) => `"type":"anchor","seq":"4","hash":"${c === '0' ? '1' : '0'}`);
    await writeFile(path.join(dir, 'altered.ndjson'), altered);
    const res = await stint(['audit', 'verify', '--anchors', path.join(dir, 'altered.ndjson')], { STINT_AUDIT_SIGNING_KEY: KEY });
    expect(res.code).toBe(1);
    expect(res.err).toContain('anchor at seq 4 fails: the anchor\'s signature does not verify');

    const other = await stint(['audit', 'verify', '--anchors', file], { STINT_AUDIT_SIGNING_KEY: pem() });
    expect(other.code).toBe(1);
    expect(other.err).toMatch(/signed with key [0-9a-f]{16}, which is not among the keys given/);

    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const bad = await stint(['audit', 'export'], { STINT_AUDIT_SIGNING_KEY: rsa });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('STINT_AUDIT_SIGNING_KEY is a rsa key; anchors are signed with Ed25519');
  });

  it('catches a chain rewritten wholesale that the hash chain alone accepts, naming the first anchor that no longer matches', async () => {
    const file = await exportFile('before-rewrite.ndjson');
    // Someone with database access edits event 3 and recomputes every later hash, head included.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT "seq", "at", "actor", "action", "requestId", "data", "prevHash" FROM "AuditEvent" ORDER BY "seq"`);
      let prev: string | null = null;
      for (const row of rows) {
        const seq = BigInt(row.seq);
        const data = seq === 3n ? { i: 2, note: 'nothing to see' } : row.data;
        const prevHash: string = prev ?? row.prevHash;
        const hash = hashEvent({ seq, at: row.at, actor: row.actor, action: row.action, requestId: row.requestId, data, prevHash });
        await client.query(`UPDATE "AuditEvent" SET "data" = $2, "prevHash" = $3, "hash" = $4 WHERE "seq" = $1`, [row.seq, data, prevHash, hash]);
        prev = hash;
      }
      await client.query(`UPDATE "AuditHead" SET "hash" = $1`, [prev]);
    } finally {
      await client.end();
    }
    expect((await stint(['audit', 'verify'])).code).toBe(0);
    const res = await stint(['audit', 'verify', '--anchors', file], { STINT_AUDIT_SIGNING_KEY: KEY });
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^error AUDIT_BROKEN: Audit chain REWRITTEN: anchor at seq 4 fails: the chain's hash there is [0-9a-f]{64}, but [0-9a-f]{64} was signed at .*: the chain was rewritten \(1 anchors matched before it\)$/);
  });

  it('says what to do without anchors or without a key', async () => {
    await writeFile(path.join(dir, 'plain.ndjson'), (await stint(['audit', 'export'])).out.join('\n'));
    expect((await stint(['audit', 'verify', '--anchors', path.join(dir, 'plain.ndjson')], { STINT_AUDIT_SIGNING_KEY: KEY })).err).toContain('No anchors in');
    const file = await exportFile('nokey.ndjson');
    expect((await stint(['audit', 'verify', '--anchors', file])).err).toContain('--public-key, or set STINT_AUDIT_SIGNING_KEY');
    expect((await stint(['audit', 'verify', '--anchors', path.join(dir, 'missing.ndjson')])).err).toContain('Cannot read the anchors file');
  });

  it('--follow streams events appended meanwhile and anchors the head when it stops', async () => {
    const controller = new AbortController();
    const run = stint(['audit', 'export', '--format', 'json', '--follow', '--after', '5', '--anchor-every', '100'], { STINT_AUDIT_SIGNING_KEY: KEY }, controller.signal);
    await new Promise((r) => setTimeout(r, 300));
    await append(2, 100);
    await new Promise((r) => setTimeout(r, 1_800));
    controller.abort();
    const res = await run;
    expect(res.code).toBe(0);
    const parsed = res.out.map((l) => JSON.parse(l));
    expect(parsed.filter((l) => l.type !== 'anchor').map((l) => l.seq)).toEqual(['6', '7']);
    expect(parsed.at(-1)).toMatchObject({ type: 'anchor', seq: '7' });
  });
});
