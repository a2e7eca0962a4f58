-- Context signals (issue 12): what was known about a request when it was made (source IP and whether it is in the
-- policy's trustedNetworks, device posture, off-hours, how unusual it is for the requester), as JSON.
ALTER TABLE "Request" ADD COLUMN "context" JSONB;

-- The latest device posture an MDM reported for a person (POST /api/v1/signals/device); trusted for 24 hours.
CREATE TABLE "DevicePosture" (
    "personId" TEXT NOT NULL,
    "compliant" BOOLEAN NOT NULL,
    "deviceId" TEXT,
    "source" TEXT,
    "reportedAt" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "DevicePosture_pkey" PRIMARY KEY ("personId")
);
