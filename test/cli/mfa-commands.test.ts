/** stint mfa enroll / confirm / reset and --mfa-code (issue 12, step-up), against a real app over HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { base32Decode, totpCode, totpStep } from '../../src/core/totp.ts';
import { apiHarness, type ApiHarness } from '../support/api-harness.ts';
import { POLICY_YAML, testPolicy } from '../support/policy-fixture.ts';

let h: ApiHarness;
let url: string;
const YAML = POLICY_YAML.replace('    approvalWindow: 30m\n', '    approvalWindow: 30m\n    stepUp: { requester: true, approvers: { riskAtLeast: 0 } }\n');

beforeAll(async () => {
  h = await apiHarness({ policy: testPolicy(YAML), env: { PORT: '0', STINT_SECRET_KEY: 'a'.repeat(64) } });
  url = await h.app.listen();
});
afterAll(async () => h?.close());

async function stint(args: string[], who: string) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env: { STINT_URL: url, STINT_TOKEN: h.tokens[who] } });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('stint mfa', () => {
  let seed: Buffer;
  const code = () => totpCode(seed, totpStep(h.clock.now()));

  it('enrolls: prints the secret once with what to do next, and confirm makes it count', async () => {
    const enrolled = await stint(['mfa', 'enroll'], 'alice');
    expect(enrolled.code).toBe(0);
    expect(enrolled.out).toMatch(/stint mfa confirm/);
    seed = base32Decode(/secret: ([A-Z2-7 ]+)/.exec(enrolled.out)![1]!);
    expect(await stint(['mfa', 'confirm', code()], 'alice')).toMatchObject({ code: 0, out: expect.stringMatching(/enrolled/) });
    h.clock.advance(30_000);
  });

  it('tells a request without --mfa-code how to give one, and takes it with --mfa-code', async () => {
    const refused = await stint(['request', 'prod-orders-db', '1h', 'INC-5', 'disk', 'full'], 'alice');
    expect([refused.code, refused.err]).toEqual([1, expect.stringMatching(/^error STEP_UP_REQUIRED: .*--mfa-code/)]);
    const created = await stint(['request', 'prod-orders-db', '1h', 'INC-5', 'disk', 'full', '--mfa-code', code(), '--json'], 'alice');
    expect([created.code, JSON.parse(created.out).status]).toEqual([0, 'PENDING']);
  });

  it('lets an admin reset a factor and says so', async () => {
    expect((await stint(['mfa', 'reset', 'alice'], 'alice')).code).toBe(1);
    expect((await stint(['mfa', 'reset', 'alice'], 'erin')).out).toMatch(/removed/);
    expect((await stint(['mfa', 'reset', 'alice'], 'erin')).out).toMatch(/had no second factor/);
  });
});
