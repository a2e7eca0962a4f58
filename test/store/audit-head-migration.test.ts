/** Migration 20261123190000_audit_head on a database whose chain already has events: appends continue it. */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashEvent } from '../../src/audit/chain.ts';
import { verifyChain } from '../../src/audit/verify-chain.ts';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../src/store/migrate.ts';
import { openStore } from '../../src/store/open-store.ts';
import { pgClientDriver } from '../../src/store/sql-driver.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

let db: TestDatabase | undefined;
afterAll(async () => db?.drop());

describe('audit head migration', () => {
  it('seeds the head from an existing chain, so the next append links to its last event', async () => {
    db = await createTestDatabase();
    const initOnly = mkdtempSync(join(tmpdir(), 'stint-migrations-'));
    cpSync(join(DEFAULT_MIGRATIONS_DIR, '20261123000000_init'), join(initOnly, '20261123000000_init'), { recursive: true });
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await migrate(pgClientDriver(client), initOnly);
      let prevHash = GENESIS_HASH;
      for (const seq of [1n, 2n]) {
        const event = { seq, at: new Date(1_700_000_000_000), actor: 'old', action: 'before.migration', requestId: null, data: { seq: Number(seq) }, prevHash };
        const hash = hashEvent(event);
        await client.query(
          `INSERT INTO "AuditEvent" ("seq","at","actor","action","requestId","data","prevHash","hash") VALUES ($1, $2, $3, $4, NULL, $5, $6, $7)`,
          [seq.toString(), event.at, event.actor, event.action, JSON.stringify(event.data), prevHash, hash],
        );
        prevHash = hash;
      }
    } finally {
      await client.end();
    }

    const store = await openStore({ databaseUrl: db.url });
    try {
      const appended = await store.appendAudit({ actor: 'new', action: 'after.migration', data: {}, at: new Date() });
      expect(appended.seq).toBe(3n);
      const result = await verifyChain(store.streamAudit(0n));
      expect(result).toMatchObject({ ok: true, count: 3 });
    } finally {
      await store.close();
    }
  });
});
