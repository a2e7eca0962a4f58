-- Second factors for step-up (issue 12): one TOTP factor per person, its seed sealed with STINT_SECRET_KEY
-- (AES-256-GCM; the database alone never reveals it). `lastStep` is the last 30-second step whose code was used:
-- a code works once. `failures` / `lockedUntil` stop guessing (5 wrong codes lock the factor for 15 minutes).
CREATE TABLE "MfaFactor" (
    "principalId" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'totp',
    "sealedSecret" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "confirmedAt" TIMESTAMPTZ(3),
    "lastStep" BIGINT,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "lockedUntil" TIMESTAMPTZ(3),
    CONSTRAINT "MfaFactor_pkey" PRIMARY KEY ("principalId", "kind"),
    CONSTRAINT "MfaFactor_kind" CHECK ("kind" IN ('totp'))
);
