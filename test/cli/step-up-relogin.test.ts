/**
 * `stint request` / `stint approve` with step-up by OIDC re-login (issue 12): the CLI prints the sign-in link, waits
 * while the person signs in in a browser, then sends the same call again. Real app over HTTP, local OpenID Provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { FakeOidcIssuer } from '../fakes/oidc-issuer.ts';
import { apiHarness, type ApiHarness } from '../support/api-harness.ts';
import { followReLoginLink } from '../support/oidc-browser.ts';
import { POLICY_YAML, testPolicy } from '../support/policy-fixture.ts';

const PUBLIC = 'https://stint.example.test';
const YAML = POLICY_YAML.replace('    approvalWindow: 30m\n', '    approvalWindow: 30m\n    stepUp: { requester: true }\n');
let h: ApiHarness;
let idp: FakeOidcIssuer;
let url: string;

beforeAll(async () => {
  idp = await new FakeOidcIssuer({ clientId: 'stint-cli', clientSecret: 'cli-oidc-secret', redirectUri: `${PUBLIC}/auth/oidc/callback`, clock: () => h.clock.now() }).start();
  h = await apiHarness({
    policy: testPolicy(YAML),
    env: { PORT: '0', STINT_PUBLIC_URL: PUBLIC, STINT_OIDC_ISSUER: idp.url, STINT_OIDC_CLIENT_ID: 'stint-cli', STINT_OIDC_CLIENT_SECRET: 'cli-oidc-secret' },
  });
  url = await h.app.listen();
}, 60_000);
afterAll(async () => {
  await h?.close();
  await idp?.stop();
});

function stint(args: string[], who: string, signal?: AbortSignal) {
  const out: string[] = [];
  const err: string[] = [];
  const done = runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env: { STINT_URL: url, STINT_TOKEN: h.tokens[who] }, ...(signal && { signal }) });
  return { out, err, done };
}

async function printedLink(err: string[]): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const link = /^\s+(https:\/\/stint\.example\.test\/auth\/step-up\/\S+)$/m.exec(err.join('\n'));
    if (link) return link[1]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no link printed: ${err.join('\n')}`);
}

describe('stint with step-up by re-login', () => {
  it('prints the sign-in link, waits for the sign-in, then creates the request', async () => {
    const run = stint(['request', 'prod-orders-db', '1h', 'INC-8', 'replica', 'lag', '--json'], 'alice');
    const link = await printedLink(run.err);
    expect(run.err.join('\n')).toMatch(/Open this link in your browser and sign in again[\s\S]*Waiting for the sign-in/);
    expect(await h.app.store.listRequests({})).toEqual([]);
    idp.signInAs = 'alice@example.com';
    expect((await followReLoginLink(h.app, link)).callback?.statusCode).toBe(200);
    expect(await run.done).toBe(0);
    expect(JSON.parse(run.out.join('\n'))).toMatchObject({ status: 'PENDING', scopes: ['prod-orders-db'] });
    expect(run.err.join('\n')).toContain('Signed in again; going on.');
  });

  it('stops waiting on Ctrl-C and sends nothing', async () => {
    const before = (await h.app.store.listRequests({})).length;
    const abort = new AbortController();
    const run = stint(['request', 'prod-orders-db', '1h', 'INC-9', 'check'], 'alice', abort.signal);
    await printedLink(run.err);
    abort.abort();
    expect(await run.done).toBe(1);
    expect(run.err.join('\n')).toMatch(/Stopped before the sign-in was done/);
    expect(await h.app.store.listRequests({})).toHaveLength(before);
  });
});
