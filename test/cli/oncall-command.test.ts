import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { startFakePagerDuty, type FakePagerDuty } from '../fakes/pagerduty.ts';
import { ONCALL_YAML } from '../oncall/oncall-fixture.ts';

const policyPath = join(mkdtempSync(join(tmpdir(), 'stint-oncall-')), 'stint.yaml');
writeFileSync(policyPath, ONCALL_YAML);

let pd: FakePagerDuty;
beforeAll(async () => {
  pd = await startFakePagerDuty();
});
afterAll(async () => pd?.close());

async function stint(args: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['oncall', 'who', ...args], { out: (t) => out.push(t), err: (t) => err.push(t), env: { STINT_POLICY: policyPath, ...env } });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('stint oncall who', () => {
  it('prints the override person of a built-in rotation and until when, at a local --at', async () => {
    const res = await stint(['sre-primary', '--at', '2026-04-08T14:00']);
    expect(res.code).toBe(0);
    expect(res.out).toContain('sre-primary at 2026-04-08T12:00:00.000Z (built-in rotation, Europe/Berlin)');
    expect(res.out).toContain('carol  carol@example.com  until 2026-04-09T00:00 Europe/Berlin (2026-04-08T22:00:00.000Z), override');
  });

  it('prints the person on shift and the next handoff for an instant with an offset', async () => {
    const res = await stint(['sre-primary', '--at', '2026-04-01T14:00+02:00', '--json']);
    expect(JSON.parse(res.out)).toMatchObject({ people: [{ id: 'bob', email: 'bob@example.com' }], until: '2026-04-06T07:00:00.000Z', override: false });
  });

  it('exits 2 for an unknown rotation, suggesting the close name', async () => {
    const res = await stint(['sre-primry']);
    expect(res.code).toBe(2);
    expect(res.err).toContain('No on-call rotation "sre-primry" in the policy (did you mean "sre-primary"?)');
  });

  it('exits 2 for an --at that is not a time', async () => {
    const res = await stint(['sre-primary', '--at', 'yesterday']);
    expect(res.code).toBe(2);
    expect(res.err).toContain('bad --at "yesterday"');
  });

  it('explains --at and the external schedules in --help', async () => {
    const res = await stint(['--help']);
    expect(res.code).toBe(0);
    expect(res.out).toContain('Usage: stint oncall who [options] <rotation>');
    expect(res.out).toContain('PAGERDUTY_TOKEN');
  });

  it('asks PagerDuty for an external rotation and prints the policy people', async () => {
    pd.setOnCall('PSCHED1', [{ email: 'dave@example.com' }]);
    const res = await stint(['dba-pager', '--at', '2026-04-08T12:00:00.000Z'], { PAGERDUTY_TOKEN: pd.token, PAGERDUTY_API_URL: pd.url });
    expect(res.code).toBe(0);
    expect(res.out).toContain('(PagerDuty schedule PSCHED1)');
    expect(res.out).toContain('dave  dave@example.com');
  });

  it('exits 1 naming PAGERDUTY_TOKEN for an external rotation without a token', async () => {
    const res = await stint(['dba-pager']);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/CONFIG_INVALID.*PAGERDUTY_TOKEN/);
  });
});
