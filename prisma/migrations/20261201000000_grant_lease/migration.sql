-- Grant lease: one worker at a time runs a request's provider calls (fault test 6: each provider call once).
-- A lease that is not renewed (the worker died) lapses after a few seconds and the reconciler takes over.
ALTER TABLE "Request" ADD COLUMN "leaseOwner" TEXT;
ALTER TABLE "Request" ADD COLUMN "leaseUntil" TIMESTAMPTZ(3);
-- Why the request is in its state when that needs saying (GRANT_FAILED's reason, a revoke that keeps failing).
ALTER TABLE "Request" ADD COLUMN "statusReason" TEXT;
