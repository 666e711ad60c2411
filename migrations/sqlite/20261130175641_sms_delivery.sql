-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_integration_jobs" table
CREATE TABLE `new_integration_jobs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `status` text NOT NULL DEFAULT ('QUEUED'), `attempts` integer NOT NULL DEFAULT (0), `last_error` text NOT NULL DEFAULT (''), `partner_job_id` text NOT NULL DEFAULT (''), `notes_to_append` text NOT NULL DEFAULT (''), `failed_fields` json NULL, `send_started_at` datetime NULL, `complete_partial` bool NOT NULL DEFAULT (false), `partner_status` text NOT NULL DEFAULT (''), `error_code` text NOT NULL DEFAULT (''), `segments` integer NOT NULL DEFAULT (0), `sent_at` datetime NULL, `next_attempt_at` datetime NULL, `client_id` integer NOT NULL, `prospect_id` integer NULL, `registration_id` integer NULL, CONSTRAINT `integration_jobs_companies_integration_jobs` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION, CONSTRAINT `integration_jobs_prospects_integration_jobs` FOREIGN KEY (`prospect_id`) REFERENCES `prospects` (`id`) ON DELETE SET NULL, CONSTRAINT `integration_jobs_registrations_deliveries` FOREIGN KEY (`registration_id`) REFERENCES `registrations` (`id`) ON DELETE SET NULL);
-- Set sequence for "new_integration_jobs" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_integration_jobs", 34359738368);
-- Copy rows from old table "integration_jobs" to new temporary table "new_integration_jobs"
INSERT INTO `new_integration_jobs` (`id`, `created_at`, `updated_at`, `kind`, `status`, `attempts`, `last_error`, `partner_job_id`, `notes_to_append`, `failed_fields`, `send_started_at`, `complete_partial`, `next_attempt_at`, `client_id`, `prospect_id`, `registration_id`) SELECT `id`, `created_at`, `updated_at`, `kind`, `status`, `attempts`, `last_error`, `partner_job_id`, `notes_to_append`, `failed_fields`, `send_started_at`, `complete_partial`, `next_attempt_at`, `client_id`, `prospect_id`, `registration_id` FROM `integration_jobs`;
-- Drop "integration_jobs" table after copying rows
DROP TABLE `integration_jobs`;
-- Rename temporary table "new_integration_jobs" to "integration_jobs"
ALTER TABLE `new_integration_jobs` RENAME TO `integration_jobs`;
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
