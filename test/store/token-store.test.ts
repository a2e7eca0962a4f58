import { describe, expect, it } from 'vitest';
import { at, makeAudit, makeToken } from '../support/store-fixtures.ts';
import { TEST_STORE_KINDS, useTestStore } from '../support/test-database.ts';

describe.each(TEST_STORE_KINDS)('token store on %s', (kind) => {
  const store = useTestStore(kind);

  async function auditActions(): Promise<string[]> {
    const rows = await store().driver.query<{ action: string; detail: string }>(
      `SELECT "action", "data"->>'prefix' AS "detail" FROM "AuditEvent" ORDER BY "seq"`,
    );
    return rows.map((row) => `${row.action}:${row.detail}`);
  }

  it('insertToken stores the token and its audit event', async () => {
    const token = makeToken();
    await store().insertToken(token, makeAudit({ action: 'token.issued', data: { prefix: token.prefix } }));
    expect(await store().findTokenByHash(token.hash)).toEqual({ ...token, ownerSuspension: null });
    expect(await auditActions()).toContain(`token.issued:${token.prefix}`);
  });

  it('insertToken with a duplicate prefix fails and writes no audit event', async () => {
    const token = makeToken();
    await store().insertToken(token, makeAudit({ action: 'token.issued', data: { prefix: token.prefix } }));
    const clash = makeToken({ prefix: token.prefix });
    await expect(
      store().insertToken(clash, makeAudit({ action: 'token.clash', data: { prefix: token.prefix } })),
    ).rejects.toThrow();
    expect(await auditActions()).not.toContain(`token.clash:${token.prefix}`);
  });

  it('findTokenByHash returns null for an unknown hash', async () => {
    expect(await store().findTokenByHash('f'.repeat(64))).toBeNull();
  });

  it('revokeToken marks the token revoked at the audit time, audits it and returns it', async () => {
    const token = makeToken();
    await store().insertToken(token, makeAudit({ action: 'token.issued', data: { prefix: token.prefix } }));
    const when = at('2026-11-23T11:00:00.042Z');
    const revoked = await store().revokeToken(
      token.prefix,
      makeAudit({ action: 'token.revoked', at: when, data: { prefix: token.prefix } }),
    );
    expect(revoked).toEqual({ ...token, revokedAt: when });
    expect(await store().findTokenByHash(token.hash)).toEqual({ ...token, revokedAt: when, ownerSuspension: null });
    expect(await auditActions()).toContain(`token.revoked:${token.prefix}`);
  });

  it('revokeToken returns null and audits nothing for an unknown prefix', async () => {
    const result = await store().revokeToken('stint_nope', makeAudit({ action: 'token.revoked', data: { prefix: 'stint_nope' } }));
    expect(result).toBeNull();
    expect(await auditActions()).not.toContain('token.revoked:stint_nope');
  });

  it('revokeToken returns null and audits nothing for a token already revoked', async () => {
    const token = makeToken({ revokedAt: at('2026-11-23T09:30:00.000Z') });
    await store().insertToken(token, makeAudit({ action: 'token.issued', data: { prefix: token.prefix } }));
    const result = await store().revokeToken(token.prefix, makeAudit({ action: 'token.revoked', data: { prefix: token.prefix } }));
    expect(result).toBeNull();
    expect(await auditActions()).not.toContain(`token.revoked:${token.prefix}`);
  });

  it('revokeToken returns null for a token already expired at the audit time', async () => {
    const token = makeToken({ expiresAt: at('2026-11-23T09:30:00.000Z') });
    await store().insertToken(token, makeAudit({ action: 'token.issued', data: { prefix: token.prefix } }));
    const result = await store().revokeToken(
      token.prefix,
      makeAudit({ action: 'token.revoked', at: at('2026-11-23T10:00:00.000Z'), data: { prefix: token.prefix } }),
    );
    expect(result).toBeNull();
  });

  it('listTokens lists the tokens of one owner, newest first, or everyone’s', async () => {
    const owner = `svc-${kind}-list`;
    const older = makeToken({ ownerId: owner, createdAt: at('2026-11-01T00:00:00.000Z') });
    const newer = makeToken({ ownerId: owner, createdAt: at('2026-11-02T00:00:00.000Z') });
    const other = makeToken({ ownerId: `svc-${kind}-other` });
    for (const token of [older, newer, other]) {
      await store().insertToken(token, makeAudit({ action: 'token.issued', data: { prefix: token.prefix } }));
    }
    expect(await store().listTokens(owner)).toEqual([newer, older]);
    const everyone = (await store().listTokens()).map((t) => t.id);
    expect(everyone).toEqual(expect.arrayContaining([older.id, newer.id, other.id]));
  });
});
