import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { apiHarness, type ApiHarness } from '../support/api-harness.ts';
import { POLICY_YAML } from '../support/policy-fixture.ts';

let h: ApiHarness;
let url: string;

beforeAll(async () => {
  h = await apiHarness({ env: { PORT: '0' } });
  url = await h.app.listen();
});
afterAll(async () => h?.close());

async function stint(args: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env: { STINT_URL: url, ...env } });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const as = (who: string) => ({ STINT_TOKEN: h.tokens[who] });

describe('stint CLI', () => {
  it('requests, lists, approves as two other people and shows the approval', async () => {
    const created = await stint(['request', 'prod-orders-db', '1h', 'INC-7', 'stuck', 'orders', '--json'], as('alice'));
    expect(created.code).toBe(0);
    const id = JSON.parse(created.out).id as string;
    expect((await stint(['list', '--view', 'awaiting'], as('carol'))).out).toContain(id);
    expect((await stint(['approve', id, 'looks', 'fine'], as('carol'))).code).toBe(0);
    const second = await stint(['approve', id], as('dave'));
    expect(second.out).toContain(`${id}  APPROVED`);
    expect(second.out).toContain('approvals  2/2');
  });

  it('acknowledges a break-glass review with stint review <id> --comment, and shows it', async () => {
    const created = await stint(['request', 'sandbox', '30m', 'INC-9', 'production', 'is', 'down,', 'orders', 'failing', '--break-glass', '--json'], as('alice'));
    const id = JSON.parse(created.out).id as string;
    expect((await stint(['list', '--view', 'awaiting'], as('erin'))).out).toContain(id);
    const self = await stint(['review', id], as('alice'));
    expect([self.code, self.err]).toEqual([1, expect.stringMatching(/^error SELF_APPROVAL: /)]);
    const reviewed = await stint(['review', id, '--comment', 'session checked'], as('erin'));
    expect(reviewed.code).toBe(0);
    expect(reviewed.out).toMatch(/review {5}acknowledged by erin at \S+ — session checked/);
    expect(JSON.parse((await stint(['show', id, '--json'], as('alice'))).out).review).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'erin' });
  });

  it('exits 1 with the error code on stderr when refused', async () => {
    const created = await stint(['request', 'prod-orders-db', '1h', 'x', '--json'], as('carol'));
    const id = JSON.parse(created.out).id as string;
    const self = await stint(['approve', id], as('carol'));
    expect(self.code).toBe(1);
    expect(self.err).toMatch(/^error SELF_APPROVAL: /);
  });

  it('exits 1 naming the maximum for a duration above maxDuration', async () => {
    const res = await stint(['request', 'prod-orders-db', '9h', 'x'], as('alice'));
    expect(res).toMatchObject({ code: 1 });
    expect(res.err).toContain('DURATION_TOO_LONG');
    expect(res.err).toContain('4h');
  });

  it('exits 2 on a usage error (missing argument, unknown verb)', async () => {
    expect((await stint(['deny', 'jit_x'], as('carol'))).code).toBe(2);
    expect((await stint(['frobnicate'])).code).toBe(2);
  });

  it.each([
    ['serve'], ['worker'], ['all'], ['migrate'], ['policy', 'check'], ['policy', 'schema'], ['request'], ['approve'], ['deny'], ['cancel'], ['done'], ['revoke'], ['extend'], ['creds'], ['list'], ['show'], ['review'],
    ['audit', 'verify'], ['audit', 'export'], ['token', 'create'], ['token', 'list'], ['token', 'revoke'],
  ])('prints help for %s and exits 0', async (...verb) => {
    const res = await stint([...verb, '--help']);
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/^Usage: stint /);
  });

  it('says how to configure the client when STINT_TOKEN is missing', async () => {
    const res = await stint(['list'], { STINT_TOKEN: undefined });
    expect(res.code).toBe(1);
    expect(res.err).toContain('STINT_TOKEN');
  });

  it('checks a policy file and prints what each resource resolves to', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'stint-cli-')), 'stint.yaml');
    writeFileSync(file, POLICY_YAML);
    const res = await stint(['policy', 'check', file]);
    expect(res.code).toBe(0);
    expect(res.out).toContain('prod-orders-db');
    expect(res.out).toContain('two-dba');
  });

  it('refuses a policy file with a typo, naming file and line', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'stint-cli-')), 'stint.yaml');
    writeFileSync(file, POLICY_YAML.replace('    required: 2\n', '    requird: 2\n'));
    const res = await stint(['policy', 'check', file]);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/POLICY_INVALID/);
    expect(res.err).toMatch(/stint\.yaml:\d+:.*requird/);
  });

  it('refuses a policy whose provider config would inject SQL, naming the resource', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'stint-cli-')), 'stint.yaml');
    writeFileSync(file, POLICY_YAML.replace('role: orders_rw', `role: 'orders"; DROP ROLE x; --'`));
    const res = await stint(['policy', 'check', file]);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/POLICY_INVALID.*\n?.*resource prod-orders-db:/s);
  });

  it('warns about resources whose provider type this build lacks, and still passes', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'stint-cli-')), 'stint.yaml');
    writeFileSync(file, POLICY_YAML.replace('provider: { type: token }', 'provider: { type: vault }'));
    const res = await stint(['policy', 'check', file]);
    expect(res.code).toBe(0);
    expect(res.err).toContain('warning: resource sandbox: provider type "vault"');
  });

  it('prints the policy JSON Schema', async () => {
    const res = await stint(['policy', 'schema']);
    expect(JSON.parse(res.out)).toMatchObject({ type: 'object' });
  });

  it('creates a token through the API with an admin token and prints only the token', async () => {
    const res = await stint(['token', 'create', '--for', 'bob', '--scopes', 'request'], { STINT_TOKEN: h.tokens.erin });
    // erin's test token has no admin scope: refused.
    expect(res.code).toBe(1);
    expect(res.err).toContain('FORBIDDEN');
  });

  it('verifies the audit chain through the API', async () => {
    const res = await stint(['audit', 'verify'], as('erin'));
    expect(res.code).toBe(0);
    expect(res.out).toMatch(/^Audit chain OK: \d+ events/);
  });
});
