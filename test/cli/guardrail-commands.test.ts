import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { guardrailHarness, type GuardrailHarness } from '../support/guardrail-harness.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

let db: TestDatabase;
let h: GuardrailHarness;
let url: string;

beforeAll(async () => {
  db = await createTestDatabase();
  h = await guardrailHarness(db.url, { PORT: '0' });
  url = await h.app.listen();
}, 120_000);
afterAll(async () => {
  await h?.close();
  await db?.drop();
});

async function stint(args: string[], who: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env: { STINT_URL: url, STINT_TOKEN: h.tokens[who] } });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('stint guardrail and service-account verbs', () => {
  it('trips a guardrail as a resource server and prints what it did', async () => {
    const id = await h.grantFor('svc-bot', 'orders-db');
    const res = await stint(['guardrail', 'trip', 'svc-bot', 'wrote', 'outside', 'its', 'task'], 'orders-api');
    expect(res.code).toBe(0);
    expect(res.out).toContain('Guardrail tripped on svc-bot: suspended');
    expect(res.out).toContain(`revoked: ${id}`);
  });

  it('lists service accounts with their suspension', async () => {
    const res = await stint(['service-account', 'list'], 'root');
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/svc-bot .*SUSPENDED since .*\(wrote outside its task\)/);
    expect(res.out).toMatch(/svc-lite .*active/);
  });

  it('unsuspends with an optional comment and suspends with a required one', async () => {
    expect((await stint(['service-account', 'unsuspend', 'svc-bot'], 'root')).out).toMatch(/svc-bot .*active/);
    expect((await stint(['service-account', 'suspend', 'svc-bot'], 'root')).code).toBe(2);
    const suspended = await stint(['service-account', 'suspend', 'svc-bot', 'audit', 'pending'], 'root');
    expect(suspended.out).toContain('SUSPENDED');
    expect((await stint(['service-account', 'unsuspend', 'svc-bot', 'done'], 'root')).out).toContain('active');
  });

  it('exits 1 with the code when refused', async () => {
    const res = await stint(['guardrail', 'trip', 'svc-bot', 'nope'], 'alice');
    expect(res.code).toBe(1);
    expect(res.err).toContain('error FORBIDDEN');
  });

  it('rotates a token and prints only the new token; the old one is refused', async () => {
    const old = h.tokens['svc-lite']!;
    const res = await stint(['token', 'rotate', old.slice(0, 'stint_live_'.length + 8)], 'root');
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/^stint_live_[A-Za-z0-9_-]+$/);
    const asOld = await runCli(['list'], { out: () => undefined, err: () => undefined, env: { STINT_URL: url, STINT_TOKEN: old } });
    expect(asOld).toBe(1);
    const asNew = await runCli(['list'], { out: () => undefined, err: () => undefined, env: { STINT_URL: url, STINT_TOKEN: res.out } });
    expect(asNew).toBe(0);
  });
});
