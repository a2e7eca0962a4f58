import { describe, expect, it } from 'vitest';
import { grantApiHarness } from '../support/grant-api-harness.ts';

describe('the long poll during a graceful shutdown', () => {
  it('answers a wait in flight at once with settled: false instead of holding the close', async () => {
    const h = await grantApiHarness({ env: { PORT: '0' } });
    const url = await h.app.listen();
    const created = await h.call('alice', 'POST', '/api/v1/credentials/jit', { reason: 'INC-9 stuck orders', scopes: ['orders-db'], duration: '1h' });
    const id = created.body.id as string;
    let answered = false;
    const waiting = fetch(`${url}/api/v1/credentials/jit/${id}/wait?timeout=60s`, { headers: { authorization: `Bearer ${h.tokens.alice}` } }).then(async (r) => {
      answered = true;
      return { status: r.status, body: await r.json() };
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(answered).toBe(false);
    await h.close();
    expect(await waiting).toMatchObject({ status: 200, body: { id, status: 'PENDING', settled: false } });
  }, 30_000);
});
