/**
 * The postgres provider watching what a grantee does (issue 12), on real PostgreSQL: session activity for idle
 * revocation, statement logging for the grant's lifetime, and idle revocation end to end through sweepIdle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrantTarget } from '../../src/core/ports.ts';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { createRequest } from '../../src/core/create-request.ts';
import { sweepIdle } from '../../src/core/sweep-idle.ts';
import { parsePolicy } from '../../src/policy/index.ts';
import { grantHarness } from '../support/grant-harness.ts';
import { person } from '../support/core-harness.ts';
import { POLICY_YAML } from '../support/policy-fixture.ts';
import { inOneHour, openPostgresTarget, type PostgresTarget } from './postgres-target.ts';

let t: PostgresTarget;
let role: string;
let n = 0;

beforeAll(async () => {
  t = await openPostgresTarget();
  role = await t.createRole('watched');
});
afterAll(async () => {
  await t?.close();
});

const newAccount = () => t.createRole(`w${n++}`, `LOGIN PASSWORD 'pw'`);
const target = (account: string): GrantTarget => ({ requestId: t.requestId(), resourceId: 'res', principalId: 'alice', account, expiresAt: inOneHour() });
const logging = (mode: 'membership' | 'ephemeral') => ({ ...t.config(role, mode), logStatements: true });
const showLogStatement = async (account: string) => (await (await t.login(account, 'pw')).query('SHOW log_statement')).rows[0].log_statement as string;

describe('activity of a grantee', () => {
  it('is nothing without a session, the last state change when idle, and active while a statement runs', async () => {
    const account = await newAccount();
    const handle = await t.provider.grant(t.config(role, 'membership'), target(account));
    expect(await t.provider.activity!(t.config(role, 'membership'), handle)).toEqual({ active: false, lastAt: null });

    const session = await t.login(account, 'pw');
    await session.query('SELECT 1');
    const idle = await t.provider.activity!(t.config(role, 'membership'), handle);
    expect(idle.active).toBe(false);
    expect(idle.lastAt).toBeInstanceOf(Date);

    const running = session.query('SELECT pg_sleep(2)');
    await new Promise((r) => setTimeout(r, 300));
    expect((await t.provider.activity!(t.config(role, 'membership'), handle)).active).toBe(true);
    await running;
  });
});

describe('statement logging for the grant (logStatements: true)', () => {
  it('logs every statement of the account while the membership lasts, and puts the earlier setting back', async () => {
    const account = await newAccount();
    await t.admin.query(`ALTER ROLE "${account}" SET log_statement = 'ddl'`);
    const handle = await t.provider.grant(logging('membership'), target(account));
    expect(await showLogStatement(account)).toBe('all');
    await t.provider.revoke(logging('membership'), handle, { stillNeeded: false });
    expect(await showLogStatement(account)).toBe('ddl');
  });

  it('keeps logging until the last of two grants of the same account ends, then removes the setting it added', async () => {
    const account = await newAccount();
    const first = await t.provider.grant(logging('membership'), target(account));
    const second = await t.provider.grant(logging('membership'), target(account));
    await t.provider.revoke(logging('membership'), first, { stillNeeded: true });
    expect(await showLogStatement(account)).toBe('all');
    await t.provider.revoke(logging('membership'), second, { stillNeeded: false });
    const after = await t.admin.query(`SELECT 1 FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = $1`, [account]);
    expect(after.rowCount).toBe(0);
  });

  it('leaves alone an account that logged everything before Stint', async () => {
    const account = await newAccount();
    await t.admin.query(`ALTER ROLE "${account}" SET log_statement = 'all'`);
    const handle = await t.provider.grant(logging('membership'), target(account));
    await t.provider.revoke(logging('membership'), handle, { stillNeeded: false });
    expect(await showLogStatement(account)).toBe('all');
  });

  it('sets it on an ephemeral login, and says so in the description approvers see', async () => {
    const handle = await t.provider.grant(logging('ephemeral'), target('unused'));
    const setting = await t.admin.query(`SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = $1`, [handle.login]);
    expect(setting.rows[0].setconfig).toEqual(['log_statement=all']);
    expect(t.provider.describe(logging('ephemeral'))).toBe(`PostgreSQL: a temporary login role holding ${role}; every statement logged`);
    await t.provider.revoke(logging('ephemeral'), handle, { stillNeeded: false });
  });
});

describe('idle revocation on PostgreSQL (idleTimeout)', () => {
  it('revokes a membership nobody used for the timeout, ends the idle session, and spares one in use', async () => {
    const idleAccount = await newAccount();
    const busyAccount = await newAccount();
    const yaml = POLICY_YAML.replace('  - { id: bob, email: bob@example.com, groups: [sre] }', `  - { id: bob, email: bob@example.com, groups: [sre], accounts: { postgres: ${busyAccount} } }`)
      .replace('  - { id: alice, email: alice@example.com, slack: U0ALICE, groups: [sre] }', `  - { id: alice, email: alice@example.com, slack: U0ALICE, groups: [sre], accounts: { postgres: ${idleAccount} } }`)
      .replace(`  - id: dev-*
    provider: { type: postgres, connection: "env:DEV_DB_ADMIN_URL", role: dev_rw }
    maxDuration: 8h`, `  - id: dev-*
    provider: { type: postgres, connection: "env:STINT_TEST_TARGET", role: ${role} }
    maxDuration: 8h
    idleTimeout: 2m`);
    const h = grantHarness({ postgres: t.provider });
    h.policy.replace(parsePolicy(yaml, 'idle.yaml'));
    h.clock.set(new Date());
    const activate = async (who: string) => {
      const { request } = await createRequest(person(who), { identityId: who, scopes: ['dev-api'], duration: '1h', reason: 'debug' }, h.ports);
      expect((await activateGrant(request.id, h.grantPorts)).status).toBe('ACTIVE');
      return request.id;
    };
    const idleId = await activate('alice');
    const busyId = await activate('bob');
    const idleSession = await t.login(idleAccount, 'pw');
    await idleSession.query('SELECT 1');
    const busySession = await t.login(busyAccount, 'pw');
    const running = busySession.query('SELECT pg_sleep(3)').catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 300));

    expect((await sweepIdle(h.grantPorts)).revoked).toEqual([]);
    h.clock.advance(3 * 60_000);
    const swept = await sweepIdle(h.grantPorts);
    expect(swept.revoked).toEqual([idleId]);
    expect(swept.errors).toEqual([]);

    const idle = await h.store.getRequest(idleId);
    expect(idle).toMatchObject({ status: 'REVOKED', revokeCause: 'idle' });
    expect((await t.admin.query('SELECT pg_has_role($1, $2, $3) AS m', [idleAccount, role, 'member'])).rows[0].m).toBe(false);
    expect((await t.admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE usename = $1', [idleAccount])).rows[0].n).toBe(0);
    expect((await h.store.getRequest(busyId))?.status).toBe('ACTIVE');
    expect(await running).not.toBeInstanceOf(Error);
  });
});
