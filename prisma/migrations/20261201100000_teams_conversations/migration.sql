-- Teams (issue 6): a personal chat's reference is found by its user's AAD object id (to send them their card
-- 1:1), and a team's references by team id (channel posts; removal when the bot is uninstalled).
ALTER TABLE "ConversationRef" ADD COLUMN "userAadObjectId" TEXT;
CREATE INDEX "ConversationRef_userAadObjectId_idx" ON "ConversationRef"("userAadObjectId");
CREATE INDEX "ConversationRef_teamId_idx" ON "ConversationRef"("teamId");
