/**
 * A task-narrowed grant on real PostgreSQL (issue 12): the temporary login gets exactly the tables and privileges
 * asked for — checked by really running queries —, never more than the resource's role, and nothing after revoke.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrantTarget } from '../../src/core/ports.ts';
import { parseNarrowing } from '../../src/domain/narrowing.ts';
import { inOneHour, openPostgresTarget, type PostgresTarget } from './postgres-target.ts';

let t: PostgresTarget;
let role: string;
let schema: string;

beforeAll(async () => {
  t = await openPostgresTarget();
  role = await t.createRole('orders_rw');
  schema = `${t.prefix}orders`;
  await t.admin.query(`CREATE SCHEMA "${schema}"`);
  await t.admin.query(`CREATE TABLE "${schema}".shipments (id int primary key, status text)`);
  await t.admin.query(`CREATE TABLE "${schema}".items (id int primary key, sku text)`);
  await t.admin.query(`INSERT INTO "${schema}".shipments VALUES (1, 'stuck')`);
  await t.admin.query(`INSERT INTO "${schema}".items VALUES (1, 'widget')`);
  await t.admin.query(`GRANT USAGE ON SCHEMA "${schema}" TO "${role}"`);
  await t.admin.query(`GRANT SELECT, UPDATE ON "${schema}".shipments, "${schema}".items TO "${role}"`);
});
afterAll(async () => {
  await t?.close();
});

const config = () => t.config(role, 'ephemeral');
const target = (narrowing: string): GrantTarget => ({
  requestId: t.requestId(),
  resourceId: 'res',
  principalId: 'alice',
  account: undefined,
  expiresAt: inOneHour(),
  narrowing: parseNarrowing(narrowing),
});
const denied = (promise: Promise<unknown>) => promise.then(() => 'allowed', (err: Error) => err.message);

describe('a narrowed ephemeral grant', () => {
  it('can SELECT the one table it was narrowed to and nothing else; after revoke it cannot log in', async () => {
    const handle = await t.provider.grant(config(), target(`SELECT on ${schema}.shipments`));
    const credential = await t.provider.credential!(config(), handle);
    const session = await t.login(credential.username, credential.password);
    expect((await session.query(`SELECT status FROM "${schema}".shipments`)).rows).toEqual([{ status: 'stuck' }]);
    expect(await denied(session.query(`SELECT sku FROM "${schema}".items`))).toMatch(/permission denied for table items/);
    expect(await denied(session.query(`UPDATE "${schema}".shipments SET status = 'moving'`))).toMatch(/permission denied for table shipments/);
    // Not a member of the role either: SET ROLE would give everything back.
    expect(await denied(session.query(`SET ROLE "${role}"`))).toMatch(/permission denied to set role/);

    await t.provider.revoke(config(), handle, { stillNeeded: false });
    expect(await t.provider.check(config(), handle)).toBe('absent');
    expect(await denied(t.login(credential.username, credential.password))).not.toBe('allowed');
  });

  it('gives several privileges on several tables when asked', async () => {
    const handle = await t.provider.grant(config(), target(`SELECT, UPDATE on ${schema}.shipments; SELECT on ${schema}.items`));
    const credential = await t.provider.credential!(config(), handle);
    const session = await t.login(credential.username, credential.password);
    expect((await session.query(`UPDATE "${schema}".shipments SET status = 'moving' WHERE id = 1`)).rowCount).toBe(1);
    expect((await session.query(`SELECT sku FROM "${schema}".items`)).rows).toEqual([{ sku: 'widget' }]);
    expect(await denied(session.query(`UPDATE "${schema}".items SET sku = 'x'`))).toMatch(/permission denied/);
    await t.provider.revoke(config(), handle, { stillNeeded: false });
  });

  it('refuses to give more than the role holds, naming the privilege, and leaves no login behind', async () => {
    const wider = target(`DELETE on ${schema}.shipments`);
    await expect(t.provider.grant(config(), wider)).rejects.toMatchObject({
      code: 'POLICY_INVALID',
      message: `narrowing: ${role} has no DELETE on ${schema}.shipments, and a narrowing can only take away; ask for what ${role} allows`,
    });
    const logins = await t.admin.query(`SELECT 1 FROM pg_roles WHERE rolname LIKE 'stint\\_%' AND pg_catalog.shobj_description(oid, 'pg_authid') LIKE $1`, [`%request ${wider.requestId},%`]);
    expect(logins.rowCount).toBe(0);
  });

  it('refuses a table that does not exist', async () => {
    await expect(t.provider.grant(config(), target(`SELECT on ${schema}.nothing`))).rejects.toMatchObject({ code: 'POLICY_INVALID', message: `narrowing: there is no table ${schema}.nothing on this database` });
  });
});
