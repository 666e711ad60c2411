-- Modify "integration_jobs" table
ALTER TABLE "integration_jobs" ADD COLUMN "partner_status" character varying NOT NULL DEFAULT '', ADD COLUMN "error_code" character varying NOT NULL DEFAULT '', ADD COLUMN "segments" bigint NOT NULL DEFAULT 0, ADD COLUMN "sent_at" timestamptz NULL;
