import { describe, expect, it } from 'vitest';
import { at, makeAudit, makeToken } from '../support/store-fixtures.ts';
import { TEST_STORE_KINDS, useTestStore } from '../support/test-database.ts';

describe.each(TEST_STORE_KINDS)('service accounts and token rotation on %s', (kind) => {
  const store = useTestStore(kind);

  async function audit(): Promise<Array<{ action: string; data: Record<string, unknown> }>> {
    return store().driver.query<{ action: string; data: Record<string, unknown> }>(`SELECT "action", "data" FROM "AuditEvent" ORDER BY "seq"`);
  }

  it('setSuspension suspends with its audit events in one transaction, and the token lookup tells it', async () => {
    const token = makeToken({ ownerId: 'svc-deploy', ownerKind: 'service' });
    await store().insertToken(token, makeAudit({ action: 'token.created' }));
    const when = at('2026-11-23T11:00:00.000Z');
    const row = await store().setSuspension('svc-deploy', 'alice', { at: when, reason: 'tripped' }, [
      makeAudit({ action: 'guardrail.tripped', at: when }),
      makeAudit({ action: 'serviceaccount.suspended', at: when }),
    ]);
    expect(row).toEqual({ id: 'svc-deploy', ownerId: 'alice', suspended: true, suspendedAt: when, suspendedReason: 'tripped' });
    expect((await store().findTokenByHash(token.hash))?.ownerSuspension).toEqual({ at: when, reason: 'tripped' });
    expect((await audit()).map((e) => e.action).slice(-2)).toEqual(['guardrail.tripped', 'serviceaccount.suspended']);

    await store().setSuspension('svc-deploy', 'alice', null, [makeAudit({ action: 'serviceaccount.unsuspended' })]);
    expect(await store().getServiceAccount('svc-deploy')).toMatchObject({ suspended: false, suspendedAt: null, suspendedReason: null });
    expect((await store().findTokenByHash(token.hash))?.ownerSuspension).toBeNull();
  });

  it('lists service accounts by id', async () => {
    await store().setSuspension('svc-b', 'bob', null, []);
    await store().setSuspension('svc-a', 'alice', { at: at('2026-11-23T11:00:00.000Z'), reason: 'x' }, []);
    expect((await store().listServiceAccounts()).map((a) => `${a.id}:${a.suspended}`)).toEqual(['svc-a:true', 'svc-b:false', 'svc-deploy:false']);
  });

  it('rotateToken revokes the old token and inserts the new one with its owner, scopes, label and expiry, audited once', async () => {
    const expiresAt = at('2027-01-01T00:00:00.000Z');
    const old = makeToken({ expiresAt });
    await store().insertToken(old, makeAudit({ action: 'token.created' }));
    const fresh = makeToken({ ownerId: 'ignored', scopes: [], label: null });
    const when = at('2026-11-23T12:00:00.000Z');
    const rotated = await store().rotateToken(old.prefix, { id: fresh.id, prefix: fresh.prefix, hash: fresh.hash, createdAt: when }, makeAudit({ action: 'token.rotated', at: when, data: { prefix: old.prefix, newPrefix: fresh.prefix } }));
    expect(rotated?.previous).toEqual({ ...old, revokedAt: when });
    expect(rotated?.record).toEqual({ ...old, id: fresh.id, prefix: fresh.prefix, hash: fresh.hash, createdAt: when });
    expect((await audit()).filter((e) => e.action === 'token.rotated')).toEqual([
      { action: 'token.rotated', data: expect.objectContaining({ prefix: old.prefix, newPrefix: fresh.prefix, ownerId: old.ownerId, scopes: old.scopes }) },
    ]);
  });

  it('rotateToken of a token that is not live inserts nothing and audits nothing', async () => {
    const old = makeToken({ revokedAt: at('2026-11-23T09:30:00.000Z') });
    await store().insertToken(old, makeAudit({ action: 'token.created' }));
    const fresh = makeToken();
    const before = (await audit()).filter((e) => e.action === 'token.rotated').length;
    expect(await store().rotateToken(old.prefix, { id: fresh.id, prefix: fresh.prefix, hash: fresh.hash, createdAt: fresh.createdAt }, makeAudit({ action: 'token.rotated' }))).toBeNull();
    expect(await store().findTokenByHash(fresh.hash)).toBeNull();
    expect((await audit()).filter((e) => e.action === 'token.rotated')).toHaveLength(before);
  });
});
