-- Chain audit events at COMMIT instead of in the middle of the transaction.
--
-- Before: a request transition locked the chain head (UPDATE "AuditHead" … RETURNING), went back to Node to hash
-- and insert, went back again to COMMIT — the one row every audited write needs stayed locked across two client
-- round trips, and under load a busy event loop made each of them milliseconds long. The soak measured ~170
-- commits/s with 14 sessions queued on that row.
--
-- Now a transition inserts its events as pending rows (negative placeholder seq, canonical JSON prepared by Node in
-- two parts around prevHash and seq) without any lock. A deferred constraint trigger runs inside COMMIT: it locks
-- the head, gives each pending row of this transaction its seq, prevHash and hash (sha256 of
-- prevHash ‖ JCS(event), the same bytes Node's hashEvent hashes — `stint audit verify` is unchanged), and moves
-- the head. The lock is held only for that work and the commit's WAL flush; no client round trip in between.
-- Pending rows are never visible to others: they become visible at commit, already chained. A failure in the
-- trigger fails the commit, so a state change still never lands without its audit event.

CREATE SEQUENCE "AuditEvent_pending_seq";

ALTER TABLE "AuditEvent" ADD COLUMN "canonHead" TEXT, ADD COLUMN "canonTail" TEXT;

CREATE FUNCTION "stint_chain_pending_audit"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head_seq BIGINT;
  head_hash TEXT;
  next_hash TEXT;
  pending RECORD;
BEGIN
  -- The trigger fires once per pending row; the first firing of a transaction chains all of them.
  PERFORM 1 FROM "AuditEvent" WHERE "seq" = NEW."seq";
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  -- Waits for the row lock, then sees the latest committed head (READ COMMITTED re-reads a row it waited for).
  UPDATE "AuditHead" SET "id" = "id" WHERE "id" = 1 RETURNING "seq", "hash" INTO head_seq, head_hash;
  IF head_seq IS NULL THEN
    RAISE EXCEPTION 'audit: the chain head row is missing (migration 20261123190000_audit_head)';
  END IF;
  -- Placeholders are -nextval: the larger, the earlier inserted.
  FOR pending IN SELECT "seq", "canonHead", "canonTail" FROM "AuditEvent" WHERE "seq" < 0 ORDER BY "seq" DESC LOOP
    head_seq := head_seq + 1;
    next_hash := encode(sha256(convert_to(
      head_hash || pending."canonHead" || head_hash || pending."canonTail" || head_seq::text || '}', 'UTF8')), 'hex');
    UPDATE "AuditEvent"
       SET "seq" = head_seq, "prevHash" = head_hash, "hash" = next_hash, "canonHead" = NULL, "canonTail" = NULL
     WHERE "seq" = pending."seq";
    head_hash := next_hash;
  END LOOP;
  UPDATE "AuditHead" SET "seq" = head_seq, "hash" = head_hash WHERE "id" = 1;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER "AuditEvent_chain_at_commit"
  AFTER INSERT ON "AuditEvent"
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW."seq" < 0)
  EXECUTE FUNCTION "stint_chain_pending_audit"();
