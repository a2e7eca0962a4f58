-- Step-up by OIDC re-login (issue 12): a challenge is a link a person opens to sign in again at the identity
-- provider. The callback confirms it (the ID token names this person and says they authenticated after the
-- challenge was made); the action it was made for (`purpose`, e.g. "approval of jit_…") then uses it once, within
-- minutes. Nothing secret is stored: the PKCE verifier and nonce live in the browser's cookie for the flow.
CREATE TABLE "StepUpChallenge" (
    "id" TEXT NOT NULL,
    "principalId" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "confirmedAt" TIMESTAMPTZ(3),
    "authTime" TIMESTAMPTZ(3),
    "usedAt" TIMESTAMPTZ(3),
    CONSTRAINT "StepUpChallenge_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "StepUpChallenge_used_after_confirmed" CHECK ("usedAt" IS NULL OR "confirmedAt" IS NOT NULL)
);
CREATE INDEX "StepUpChallenge_principalId_purpose_idx" ON "StepUpChallenge" ("principalId", "purpose");
