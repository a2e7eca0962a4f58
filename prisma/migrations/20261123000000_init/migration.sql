-- CreateTable
CREATE TABLE "Person" (
    "id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "displayName" TEXT,
    "slackUserId" TEXT,
    "teamsAadObjectId" TEXT,
    "teamsUserId" TEXT,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Person_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Request" (
    "id" TEXT NOT NULL,
    "requesterId" TEXT NOT NULL,
    "requesterKind" TEXT NOT NULL DEFAULT 'person',
    "createdBy" TEXT NOT NULL,
    "scopes" TEXT[],
    "workflow" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "ticket" TEXT,
    "durationSec" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "required" INTEGER NOT NULL,
    "riskScore" INTEGER NOT NULL DEFAULT 0,
    "riskSignals" JSONB NOT NULL DEFAULT '[]',
    "generation" INTEGER NOT NULL DEFAULT 0,
    "via" TEXT NOT NULL,
    "notifyChannels" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "autoApproved" BOOLEAN NOT NULL DEFAULT false,
    "decidedBy" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" TIMESTAMPTZ(3),
    "activatedAt" TIMESTAMPTZ(3),
    "expiresAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),
    "revokeCause" TEXT,
    "breakGlass" BOOLEAN NOT NULL DEFAULT false,
    "escalationLevel" INTEGER NOT NULL DEFAULT 0,
    "nextActionAt" TIMESTAMPTZ(3),
    "policyVersion" TEXT NOT NULL,

    CONSTRAINT "Request_pkey" PRIMARY KEY ("id"),
    -- The state names of DESIGN.md section 2; anything else is a bug, refused by the database too.
    CONSTRAINT "Request_status_check" CHECK ("status" IN ('PENDING','APPROVED','ACTIVE','REVOKING','REVOKED',
        'GRANT_FAILED','DENIED','CANCELLED','TIMED_OUT'))
);

-- CreateTable
CREATE TABLE "Decision" (
    "id" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "approverId" TEXT NOT NULL,
    "verdict" TEXT NOT NULL,
    "comment" TEXT,
    "via" TEXT NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Decision_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GrantHandle" (
    "id" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "resourceId" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "handle" JSONB NOT NULL DEFAULT '{}',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "GrantHandle_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChatMessage" (
    "id" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "recipientId" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ChatMessage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ConversationRef" (
    "id" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "tenantId" TEXT,
    "teamId" TEXT,
    "reference" JSONB NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConversationRef_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ServiceAccount" (
    "id" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "suspended" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ServiceAccount_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "ownerKind" TEXT NOT NULL,
    "scopes" TEXT[],
    "label" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),
    "lastUsedAt" TIMESTAMPTZ(3),

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "seq" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "requestId" TEXT,
    "data" JSONB NOT NULL,
    "prevHash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "Person_slackUserId_key" ON "Person"("slackUserId");
CREATE UNIQUE INDEX "Person_teamsAadObjectId_key" ON "Person"("teamsAadObjectId");
CREATE UNIQUE INDEX "Person_teamsUserId_key" ON "Person"("teamsUserId");
CREATE INDEX "Request_requesterId_createdAt_idx" ON "Request"("requesterId", "createdAt");
CREATE INDEX "Request_status_idx" ON "Request"("status");
CREATE INDEX "Request_nextActionAt_idx" ON "Request"("nextActionAt");
CREATE UNIQUE INDEX "Decision_requestId_approverId_key" ON "Decision"("requestId", "approverId");
CREATE UNIQUE INDEX "GrantHandle_requestId_resourceId_key" ON "GrantHandle"("requestId", "resourceId");
CREATE INDEX "ChatMessage_requestId_idx" ON "ChatMessage"("requestId");
CREATE UNIQUE INDEX "ChatMessage_platform_channel_messageId_key" ON "ChatMessage"("platform", "channel", "messageId");
CREATE UNIQUE INDEX "ConversationRef_conversationId_key" ON "ConversationRef"("conversationId");
CREATE UNIQUE INDEX "ApiToken_prefix_key" ON "ApiToken"("prefix");
CREATE UNIQUE INDEX "ApiToken_hash_key" ON "ApiToken"("hash");
CREATE INDEX "AuditEvent_requestId_idx" ON "AuditEvent"("requestId");

-- AddForeignKey
ALTER TABLE "Decision" ADD CONSTRAINT "Decision_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "Request"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "GrantHandle" ADD CONSTRAINT "GrantHandle_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "Request"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "ChatMessage" ADD CONSTRAINT "ChatMessage_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "Request"("id") ON DELETE CASCADE ON UPDATE CASCADE;
