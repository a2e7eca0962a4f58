-- Reference counting on revoke asks "does this person hold another ACTIVE grant of this resource?" per revoke;
-- without this index it scanned every request of the person (a service account with thousands of grants).
CREATE INDEX "Request_requesterId_status_idx" ON "Request"("requesterId", "status");
