-- Break-glass follow-up review (issue 7). The review task lives on the request row itself: a break-glass request
-- is created with "reviewStatus" = 'PENDING' by the same INSERT, so the task cannot be missing (the CHECK below
-- makes that a database rule), and the acknowledgement locks the row the use cases already lock.
ALTER TABLE "Request"
    ADD COLUMN "reviewStatus"     TEXT,
    ADD COLUMN "reviewedBy"       TEXT,
    ADD COLUMN "reviewedAt"       TIMESTAMPTZ(3),
    ADD COLUMN "reviewComment"    TEXT,
    ADD COLUMN "reviewRemindedAt" TIMESTAMPTZ(3);

-- Break-glass uses from before this migration were never reviewed: they wait for security like new ones.
UPDATE "Request" SET "reviewStatus" = 'PENDING' WHERE "breakGlass";

ALTER TABLE "Request"
    -- CASE with COALESCE, not AND/OR: a NULL reviewStatus must fail the check, not make it unknown (which passes).
    ADD CONSTRAINT "Request_reviewStatus_check" CHECK (
        CASE WHEN "breakGlass" THEN COALESCE("reviewStatus" IN ('PENDING', 'ACKNOWLEDGED'), false)
             ELSE "reviewStatus" IS NULL END
    ),
    ADD CONSTRAINT "Request_reviewed_check" CHECK (
        "reviewStatus" IS DISTINCT FROM 'ACKNOWLEDGED' OR ("reviewedBy" IS NOT NULL AND "reviewedAt" IS NOT NULL)
    );

-- The reconciler's daily reminder sweep and the reviewers' "waiting for me" list look for pending reviews.
CREATE INDEX "Request_reviewStatus_reviewRemindedAt_idx" ON "Request"("reviewStatus", "reviewRemindedAt");
