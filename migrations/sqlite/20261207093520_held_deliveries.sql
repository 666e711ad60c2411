-- Add column "candidates" to table: "integration_jobs"
ALTER TABLE `integration_jobs` ADD COLUMN `candidates` json NULL;
-- Add column "notes_seen" to table: "integration_jobs"
ALTER TABLE `integration_jobs` ADD COLUMN `notes_seen` integer NULL;
