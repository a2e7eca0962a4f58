-- Leader-only work that runs once a period (the approvers' daily digest, issue 7): the first process to insert
-- (name, period) does it; a leader that took over after a crash, or a second replica, finds the row and does not.
CREATE TABLE "PeriodicRun" (
    "name" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "ranAt" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "PeriodicRun_pkey" PRIMARY KEY ("name", "period")
);
