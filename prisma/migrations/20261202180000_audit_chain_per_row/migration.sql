-- Chain each pending audit row by its own placeholder instead of scanning for "seq" < 0.
--
-- The commit trigger (20261202125000_audit_chain_at_commit) found a transaction's pending rows with a range scan
-- over "seq" < 0. Chaining a row is an UPDATE that moves it out of that range, and the row's old version (and its
-- index entry, at the old placeholder) stays until VACUUM: every commit walked past every placeholder ever used
-- since the last vacuum, while holding the chain head's lock. Commits slowed down as the table grew, and under the
-- soak's 20 requests a second they took over a second each after eight minutes on a server with autovacuum off
-- (any server where vacuum falls behind does the same, more slowly).
--
-- Now each firing (one per pending row, in the order the rows were inserted: deferred triggers fire in queue order)
-- locks the head, chains NEW by its exact placeholder (a primary-key lookup) and moves the head. The bytes hashed
-- are unchanged, so `stint audit verify` is unchanged. A row already chained by the previous function (a
-- transaction committing while this migration ran) is left alone, and so is the head.

CREATE OR REPLACE FUNCTION "stint_chain_pending_audit"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  head_seq BIGINT;
  head_hash TEXT;
  next_hash TEXT;
BEGIN
  -- Waits for the head's row lock (held until COMMIT ends), then reads its newest committed version: in READ
  -- COMMITTED a locking read that waited follows the row to its latest version.
  SELECT "seq", "hash" INTO head_seq, head_hash FROM "AuditHead" WHERE "id" = 1 FOR UPDATE;
  IF head_seq IS NULL THEN
    RAISE EXCEPTION 'audit: the chain head row is missing (migration 20261123190000_audit_head)';
  END IF;
  head_seq := head_seq + 1;
  next_hash := encode(sha256(convert_to(
    head_hash || NEW."canonHead" || head_hash || NEW."canonTail" || head_seq::text || '}', 'UTF8')), 'hex');
  UPDATE "AuditEvent"
     SET "seq" = head_seq, "prevHash" = head_hash, "hash" = next_hash, "canonHead" = NULL, "canonTail" = NULL
   WHERE "seq" = NEW."seq";
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  UPDATE "AuditHead" SET "seq" = head_seq, "hash" = next_hash WHERE "id" = 1;
  RETURN NULL;
END
$$;
