import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { grantApiHarness, type GrantApiHarness } from '../support/grant-api-harness.ts';

let h: GrantApiHarness;
let url: string;

beforeAll(async () => {
  h = await grantApiHarness({ env: { PORT: '0' } });
  url = await h.app.listen();
});
afterAll(async () => h?.close());

describe('stint request --wait', () => {
  it('blocks on the long poll through APPROVED until the grant is ACTIVE, saying it waits', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const running = runCli(['request', 'orders-db', '1h', 'INC-3', 'reindex', '--wait', '--json'], {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      env: { STINT_URL: url, STINT_TOKEN: h.tokens.alice },
    });
    await vi.waitFor(() => expect(err.join('\n')).toMatch(/waiting for approval/), { timeout: 10_000, interval: 50 });
    const id = /(jit_\w+) is waiting/.exec(err.join('\n'))![1]!;
    await h.call('carol', 'POST', `/api/v1/credentials/jit/${id}/approve`, {});
    expect((await h.call('alice', 'GET', `/api/v1/credentials/jit/${id}`)).body.status).toBe('APPROVED');
    await activateGrant(id, h.app.grants);
    expect(await running).toBe(0);
    const view = JSON.parse(out.join('\n'));
    expect(view).toMatchObject({ id, status: 'ACTIVE' });
    expect(view).not.toHaveProperty('settled');
  });
});
