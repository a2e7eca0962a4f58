/**
 * examples/pep-express.ts against a real Stint (issue 10): the resource server lets a route through only for an
 * active stint_jit_ credential carrying the route's scope, and fails closed when Stint cannot be asked.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createResourceServer } from '../../examples/pep-express.ts';
import { tokenHarness, type TokenHarness } from '../support/token-harness.ts';

let h: TokenHarness;
let stintUrl: string;
const servers: Server[] = [];

beforeAll(async () => {
  h = await tokenHarness();
  stintUrl = await h.app.listen();
}, 60_000);
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  await h?.close();
});

async function resourceServer(introspectToken: string): Promise<string> {
  const server = createResourceServer({ stintUrl, introspectToken }).listen(0, '127.0.0.1');
  await new Promise((done) => server.once('listening', done));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const order = (base: string, credential?: string) =>
  fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', ...(credential ? { authorization: `Bearer ${credential}` } : {}) }, body: JSON.stringify({ item: 'widgets' }) });

describe('examples/pep-express.ts', () => {
  it("serves a route for an active credential with the route's scope, 403 without it, 401 once it is released", async () => {
    const base = await resourceServer(h.tokens.rs!);
    const id = await h.activeRequest('svc-agent', ['data:write']);
    const credential = await h.reveal('svc-agent', id);

    const created = await order(base, credential);
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ item: 'widgets', by: 'svc-agent' });

    const read = await fetch(`${base}/orders`, { headers: { authorization: `Bearer ${credential}` } });
    expect(read.status).toBe(403);
    expect((await read.json()).error.code).toBe('FORBIDDEN');

    await h.call('svc-agent', 'POST', `/api/v1/credentials/jit/${id}/done`, {});
    const after = await order(base, credential);
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('refuses a request without a stint_jit_ bearer credential with 401', async () => {
    const base = await resourceServer(h.tokens.rs!);
    expect((await order(base)).status).toBe(401);
    expect((await order(base, h.tokens.alice)).status).toBe(401);
  });

  it('fails closed with 503 when Stint refuses its introspection token', async () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const base = await resourceServer(h.tokens.alice!);
      const id = await h.activeRequest('svc-agent', ['data:write']);
      const res = await order(base, await h.reveal('svc-agent', id));
      expect(res.status).toBe(503);
    } finally {
      quiet.mockRestore();
    }
  });
});
