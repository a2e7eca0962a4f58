import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { grantApiHarness, type GrantApiHarness } from '../support/grant-api-harness.ts';

let h: GrantApiHarness;
let url: string;

beforeAll(async () => {
  h = await grantApiHarness({ env: { PORT: '0' } });
  url = await h.app.listen();
});
afterAll(async () => h?.close());

async function stint(args: string[], who: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env: { STINT_URL: url, STINT_TOKEN: h.tokens[who] } });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('stint extend and stint creds', () => {
  it('extends an active grant as an approver and prints the request with its new expiry', async () => {
    const id = await h.activeGrant('orders-db', '1h');
    const before = JSON.parse((await stint(['show', id, '--json'], 'alice')).out).expiresAt as string;
    const res = await stint(['extend', id, '30m', 'still', 'migrating'], 'carol');
    expect(res.code).toBe(0);
    expect(res.out).toContain(`${id}  ACTIVE`);
    const after = new Date(Date.parse(before) + 30 * 60_000).toISOString();
    expect(res.out).toMatch(new RegExp(`expires\\s+${after}`));
  });

  it('exits 1 with NOT_ELIGIBLE when the requester may not extend on their own', async () => {
    const id = await h.activeGrant();
    const res = await stint(['extend', id, '30m'], 'alice');
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^error NOT_ELIGIBLE: .*stint extend/);
  });

  it('prints the credential with a shown-once warning, and the API JSON with --json', async () => {
    const id = await h.activeGrant();
    const res = await stint(['creds', id], 'alice');
    expect(res.code).toBe(0);
    expect(res.out).toContain(`password   ${h.provider.minted.at(-1)}`);
    expect(res.out).toContain('username   stint_orders_db');
    expect(res.out).toMatch(/expires\s+\d{4}-/);
    expect(res.out).toContain('connect    postgres://stint_orders_db@db.example:5432/app');
    expect(res.out.split('\n').at(-1)).toMatch(/^Shown once and not stored/);

    const json = JSON.parse((await stint(['creds', id, '--json'], 'alice')).out);
    expect(json).toMatchObject({ requestId: id, credentials: [{ username: 'stint_orders_db', password: h.provider.minted.at(-1) }] });
  });

  it('exits 1 with NO_CREDENTIAL for a membership grant and FORBIDDEN for an approver', async () => {
    const membership = await h.activeGrant('reports-db');
    expect((await stint(['creds', membership], 'alice')).err).toMatch(/^error NO_CREDENTIAL: /);
    const id = await h.activeGrant();
    const res = await stint(['creds', id], 'carol');
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^error FORBIDDEN: /);
  });

  it('exits 2 when the duration is missing', async () => {
    expect((await stint(['extend', 'jit_x'], 'carol')).code).toBe(2);
  });
});
