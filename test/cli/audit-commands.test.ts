/** `stint audit verify|export` straight against the database (no server), as an operator runs them. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { openStore, type Store } from '../../src/store/open-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

let db: TestDatabase;
let store: Store;

beforeAll(async () => {
  db = await createTestDatabase();
  store = await openStore({ databaseUrl: db.url });
  for (let i = 0; i < 5; i++) {
    await store.appendAudit({ actor: 'alice', action: i === 2 ? 'request.approved' : 'request.created', requestId: `jit_${i}`, data: { i, note: 'a|b=c' }, at: new Date() });
  }
  await store.close();
}, 60_000);
afterAll(async () => db?.drop());

async function stint(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env: { DATABASE_URL: db.url } });
  return { code, out, err: err.join('\n') };
}

describe('stint audit (direct)', () => {
  it('verifies an intact chain and prints its head', async () => {
    const res = await stint(['audit', 'verify']);
    expect(res.code).toBe(0);
    expect(res.out.join('\n')).toMatch(/^Audit chain OK: 5 events, head [0-9a-f]{64}$/);
  });

  it('exports NDJSON, syslog and CEF, one line per event', async () => {
    const json = await stint(['audit', 'export', '--format', 'json']);
    expect(json.out).toHaveLength(5);
    expect(JSON.parse(json.out[0]!)).toMatchObject({ seq: '1', actor: 'alice', action: 'request.created' });
    const syslog = await stint(['audit', 'export', '--format', 'syslog', '--after', '3']);
    expect(syslog.out).toHaveLength(2);
    expect(syslog.out[0]).toMatch(/^<\d+>1 \S+ \S+ stint - request\.created \[stint@32473 /);
    const cef = await stint(['audit', 'export', '--format', 'cef']);
    expect(cef.out[0]).toMatch(/^CEF:0\|Stint\|Stint\|/);
  });

  it('refuses an unknown export format', async () => {
    const res = await stint(['audit', 'export', '--format', 'xml']);
    expect(res.code).toBe(1);
    expect(res.err).toContain('json, syslog or cef');
  });

  it('names the first broken seq and exits 1 after someone edits an event in the database', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`UPDATE "AuditEvent" SET "data" = '{"i": 99}' WHERE "seq" = 3`);
    await client.end();
    const res = await stint(['audit', 'verify']);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^error AUDIT_BROKEN: Audit chain BROKEN at seq 3/);
  });
});

describe('stint token (direct)', () => {
  const env = () => ({ DATABASE_URL: db.url, STINT_POLICY: 'examples/stint.yaml' });
  async function run(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env: env() });
    return { code, out, err: err.join('\n') };
  }

  it('prints only the new token, and revokes it by prefix', async () => {
    const created = await run(['token', 'create', '--for', 'alice', '--scopes', 'request', '--expires', '90d']);
    expect(created.code).toBe(0);
    expect(created.out).toHaveLength(1);
    expect(created.out[0]).toMatch(/^stint_live_[A-Za-z0-9_-]{32}$/);
    const prefix = created.out[0]!.slice(0, 'stint_live_'.length + 8);
    const listed = await run(['token', 'list', '--for', 'alice']);
    expect(listed.out.join('\n')).toContain(prefix);
    expect(listed.out.join('\n')).not.toContain(created.out[0]!);
    expect((await run(['token', 'revoke', prefix])).code).toBe(0);
    expect((await run(['token', 'list', '--for', 'alice'])).out.join('\n')).toMatch(new RegExp(`${prefix}.*revoked `));
    const again = await run(['token', 'revoke', prefix]);
    expect(again.code).toBe(1);
    expect(again.err).toContain('NOT_FOUND');
  });

  it('refuses a token for someone the policy does not know, and an unknown scope', async () => {
    expect((await run(['token', 'create', '--for', 'nobody'])).err).toContain('NOT_FOUND');
    expect((await run(['token', 'create', '--for', 'alice', '--scopes', 'root'])).err).toContain('INVALID_BODY');
  });
});
