-- Modify "integration_jobs" table
ALTER TABLE "integration_jobs" ADD COLUMN "candidates" jsonb NULL, ADD COLUMN "notes_seen" bigint NULL;
