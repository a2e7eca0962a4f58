-- Launch mode (issue 8): a request asks for a session through the SSH gateway (`stint ssh`) instead of a credential.
-- Opt-in per request, never implied by the resource; false for every request made before.
ALTER TABLE "Request" ADD COLUMN "launch" BOOLEAN NOT NULL DEFAULT false;

-- The recording of one gateway session (asciicast v2: a JSON header line, then [seconds, "o", text] events; the
-- user's input is not recorded). `sha256` is over the exact stored bytes of `content` (UTF-8) and is also in the
-- `session.recorded` audit event, so a recording changed after the fact no longer matches the chain.
CREATE TABLE "SessionRecording" (
    "id" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "resourceId" TEXT NOT NULL,
    "personId" TEXT NOT NULL,
    "startedAt" TIMESTAMPTZ(3) NOT NULL,
    "endedAt" TIMESTAMPTZ(3) NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "bytes" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "exitStatus" INTEGER,
    "content" TEXT NOT NULL,
    CONSTRAINT "SessionRecording_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "SessionRecording_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "Request"("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX "SessionRecording_requestId_startedAt_idx" ON "SessionRecording"("requestId", "startedAt");
