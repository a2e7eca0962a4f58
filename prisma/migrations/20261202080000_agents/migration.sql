-- Agents and service accounts (issue 10).
-- A request made by an agent carries its model's reasoning (shown on the card and in the audit); once an agent
-- approver hands it to people (escalate_to_human) no agent may decide it any more.
ALTER TABLE "Request" ADD COLUMN "agentReasoning" TEXT;
ALTER TABLE "Request" ADD COLUMN "humanOnly" BOOLEAN NOT NULL DEFAULT false;

-- A guardrail suspends a service account: its tokens are refused until an admin unsuspends it.
ALTER TABLE "ServiceAccount" ADD COLUMN "suspendedAt" TIMESTAMPTZ(3);
ALTER TABLE "ServiceAccount" ADD COLUMN "suspendedReason" TEXT;

-- The stint_jit_ credential of a request's `token` scopes: one per request, bound to the scopes granted so far and
-- to the expiry. Only the SHA-256 of the raw value is kept (invariant 6); the hash is null until the requester
-- reveals it, and each reveal replaces it (the earlier value stops working).
CREATE TABLE "JitCredential" (
    "requestId" TEXT NOT NULL,
    "principalId" TEXT NOT NULL,
    "hash" TEXT,
    "prefix" TEXT,
    "scopes" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "revokedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "JitCredential_pkey" PRIMARY KEY ("requestId")
);
CREATE UNIQUE INDEX "JitCredential_hash_key" ON "JitCredential"("hash");
CREATE INDEX "JitCredential_principalId_idx" ON "JitCredential"("principalId");
