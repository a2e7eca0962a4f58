import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createPostgresProvider } from '../../src/providers/postgres/postgres-provider.ts';
import { quoteIdent, quoteLiteral } from '../../src/providers/postgres/postgres-sql.ts';

const provider = createPostgresProvider({ env: {} });
const valid = { type: 'postgres', connection: 'env:PG_ADMIN_URL', role: 'orders_reader', mode: 'membership' };

describe('postgres provider validate', () => {
  it('accepts a plain role, a secret reference and a known mode', () => {
    expect(() => provider.validate(valid)).not.toThrow();
  });

  it('refuses a role name that could inject SQL', () => {
    expect(() => provider.validate({ ...valid, role: 'orders"; DROP ROLE x; --' })).toThrow(
      expect.objectContaining({ code: 'POLICY_INVALID', message: expect.stringContaining('role') }),
    );
  });

  it('refuses an inline connection string without echoing it', () => {
    const inline = 'postgres://admin:hunter2@db:5432/app';
    let error: unknown;
    try {
      provider.validate({ ...valid, connection: inline });
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'POLICY_INVALID', message: expect.stringContaining('inline connection strings are refused') });
    expect(JSON.stringify(error)).not.toContain('hunter2');
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('refuses a missing connection and a missing role', () => {
    expect(() => provider.validate({ type: 'postgres', mode: 'membership' })).toThrow(/connection.*role|role.*connection/s);
  });

  it('refuses an unknown mode', () => {
    expect(() => provider.validate({ ...valid, mode: 'superuser' })).toThrow(/mode: must be membership or ephemeral/);
  });
});

describe('postgres SQL quoting', () => {
  it('doubles quotes inside identifiers', () => {
    expect(quoteIdent('a"b')).toBe('"a""b"');
  });

  it('doubles quotes and backslashes inside literals', () => {
    expect(quoteLiteral(`it's \\ fine`)).toBe(`E'it''s \\\\ fine'`);
  });
});

describe('postgres provider against a target that refuses connections', () => {
  it('fails UNAVAILABLE without the password of the URL', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const refused = createPostgresProvider({ env: { PG_ADMIN_URL: `postgres://admin:hunter2@127.0.0.1:${port}/app` } });
    const target = { requestId: 'r', resourceId: 'res', principalId: 'alice', account: 'alice', expiresAt: new Date() };
    const error = await refused.grant({ ...valid, connectTimeoutSec: 2 }, target).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('postgres target') });
    expect((error as Error).message).not.toContain('hunter2');
    expect(JSON.stringify(error)).not.toContain('hunter2');
  });
});
