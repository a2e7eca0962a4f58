-- Task-narrowed grants (issue 12): the tables and privileges a request was narrowed to, as JSON
-- ([{ "table": "orders.shipments", "privileges": ["SELECT"] }]); null for the resource's default access.
ALTER TABLE "Request" ADD COLUMN "narrowing" JSONB;
