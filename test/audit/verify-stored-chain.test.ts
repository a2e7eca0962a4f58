/**
 * verifyChain over the real store: what `stint audit verify` walks, tampered with the way someone with SQL
 * access would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/verify-chain.ts';
import { openTestStore, TEST_STORE_KINDS, type TestStore } from '../support/test-database.ts';

const EVENTS = 25;
/** Smaller than EVENTS and not a divisor of it, so the walk crosses page boundaries. */
const PAGE = 7;

describe.each(TEST_STORE_KINDS)('verifyChain over a %s store', (kind) => {
  let opened: TestStore;

  beforeAll(async () => {
    opened = await openTestStore(kind);
    for (let n = 1; n <= EVENTS; n++) {
      await opened.store.appendAudit({
        actor: `U${n}`,
        action: 'request.created',
        requestId: n % 5 === 0 ? null : `REQ${n}`,
        data: { n, reason: `ticket "${n}" ü`, tags: ['a', { b: n / 3 }] },
        at: new Date(Date.UTC(2025, 0, 1, 0, 0, n, 123)),
      });
    }
  });

  afterAll(async () => {
    await opened?.close();
  });

  it('verifies the chain the store appended, across pages', async () => {
    const result = await verifyChain(opened.store.streamAudit(0n, PAGE));
    expect(result).toMatchObject({ ok: true, count: EVENTS, headSeq: BigInt(EVENTS) });
  });

  it('names the event whose data was edited in the database, then the one after a deleted event', async () => {
    const sql = opened.store.driver;
    await sql.exec(`UPDATE "AuditEvent" SET "data" = jsonb_set("data", '{n}', '999') WHERE "seq" = 12`);
    expect(await verifyChain(opened.store.streamAudit(0n, PAGE))).toMatchObject({
      ok: false,
      count: 11,
      brokenSeq: 12n,
      reason: 'hash mismatch: event content was changed',
    });

    await sql.exec(`DELETE FROM "AuditEvent" WHERE "seq" = 12`);
    expect(await verifyChain(opened.store.streamAudit(0n, PAGE))).toMatchObject({
      ok: false,
      count: 11,
      brokenSeq: 13n,
      reason: 'prevHash does not link to seq 11: an event was removed or reordered',
    });
  });
});
