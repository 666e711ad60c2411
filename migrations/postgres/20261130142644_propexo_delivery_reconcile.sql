-- Modify "integration_jobs" table
ALTER TABLE "integration_jobs" ADD COLUMN "failed_fields" jsonb NULL, ADD COLUMN "send_started_at" timestamptz NULL, ADD COLUMN "complete_partial" boolean NOT NULL DEFAULT false;
