-- The head of the audit chain as one row. Appending takes this row's lock with an UPDATE … RETURNING, which
-- reads the latest committed head and reserves the sequence numbers in one statement (an advisory lock needs
-- a second statement for the head, because a statement's snapshot predates its own lock wait). Fewer round
-- trips under the chain lock, and seq has no gaps: a rolled-back append rolls back its reservation too.

-- CreateTable
CREATE TABLE "AuditHead" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "seq" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "AuditHead_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "AuditHead_one_row" CHECK ("id" = 1)
);

-- Seed from the chain as it stands.
INSERT INTO "AuditHead" ("id", "seq", "hash")
SELECT 1,
       COALESCE((SELECT max("seq") FROM "AuditEvent"), 0),
       COALESCE((SELECT "hash" FROM "AuditEvent" ORDER BY "seq" DESC LIMIT 1), repeat('0', 64));
