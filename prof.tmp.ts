import { createApp } from './src/app.ts';
import { issueToken } from './src/core/manage-tokens.ts';
import { createLogger } from './src/logger.ts';
import { parsePolicy } from './src/policy/index.ts';
import { createTestDatabase } from './test/support/test-database.ts';
const POLICY = `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [dev] }
  - { id: bob, email: bob@example.com, groups: [ops] }
timezone: UTC
resources:
  - { id: orders-db, provider: { type: postgres, connection: "env:X", role: r }, maxDuration: 4h, workflow: one-ops }
workflows:
  one-ops: { eligible: [group:dev], approvers: [group:ops], required: 1 }
`;
const db = await createTestDatabase();
const policy = parsePolicy(POLICY, 'p');
const app = await createApp({ env: { DATABASE_URL: db.url, LOG_LEVEL: 'silent' }, overrides: { policy, logger: createLogger('silent') } });
const clock = { now: () => new Date() };
const alice = (await issueToken({ ownerId: 'alice', issuedBy: 'b' }, { tokens: app.store, clock, policy })).token;
const bob = (await issueToken({ ownerId: 'bob', issuedBy: 'b' }, { tokens: app.store, clock, policy })).token;
const inj = async (token: string, url: string, body: unknown) => (await app.server.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: JSON.stringify(body) })).json();
for (let round = 0; round < 3; round++) {
  let tc = 0, ta = 0;
  for (let i = 0; i < 50; i++) {
    const t0 = performance.now();
    const c = await inj(alice, '/api/v1/credentials/jit', { reason: 'b', scopes: ['orders-db'], duration: '1h' });
    const t1 = performance.now();
    await inj(bob, `/api/v1/credentials/jit/${c.id}/approve`, {});
    ta += performance.now() - t1; tc += t1 - t0;
  }
  console.log('create avg', (tc / 50).toFixed(1), 'ms; approve avg', (ta / 50).toFixed(1), 'ms');
}
await app.close(); await db.drop();
