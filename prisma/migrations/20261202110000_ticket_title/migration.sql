-- Ticket checks (issue 12): the title of the request's ticket as its system (Jira, ServiceNow) gave it when the
-- request was made; null when the workflow checks no ticket or the request has none.
ALTER TABLE "Request" ADD COLUMN "ticketTitle" TEXT;
