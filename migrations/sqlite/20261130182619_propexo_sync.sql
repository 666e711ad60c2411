-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_leases" table
CREATE TABLE `new_leases` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `source_id` text NOT NULL, `unit_address` json NULL, `status` text NOT NULL, `status_key` text NOT NULL, `lease_start_date` datetime NOT NULL, `lease_end_date` datetime NULL, `move_in_date` datetime NULL, `move_out_date` datetime NULL, `use_type` text NOT NULL DEFAULT (''), `previous_address` json NULL, `forwarding_address` json NULL, `extra` json NULL, `source` text NOT NULL DEFAULT ('IMPORT'), `propexo_id` text NULL, `removed_at` datetime NULL, `propexo_seen_at` datetime NULL, `transferred` bool NOT NULL DEFAULT (false), `client_id` integer NOT NULL, `property_id` integer NOT NULL, CONSTRAINT `leases_companies_leases` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION, CONSTRAINT `leases_properties_leases` FOREIGN KEY (`property_id`) REFERENCES `properties` (`id`) ON DELETE NO ACTION);
-- Set sequence for "new_leases" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_leases", 8589934592);
-- Copy rows from old table "leases" to new temporary table "new_leases"
INSERT INTO `new_leases` (`id`, `created_at`, `updated_at`, `source_id`, `unit_address`, `status`, `status_key`, `lease_start_date`, `lease_end_date`, `move_in_date`, `move_out_date`, `use_type`, `previous_address`, `forwarding_address`, `extra`, `client_id`, `property_id`) SELECT `id`, `created_at`, `updated_at`, `source_id`, `unit_address`, `status`, `status_key`, `lease_start_date`, `lease_end_date`, `move_in_date`, `move_out_date`, `use_type`, `previous_address`, `forwarding_address`, `extra`, `client_id`, `property_id` FROM `leases`;
-- Drop "leases" table after copying rows
DROP TABLE `leases`;
-- Rename temporary table "new_leases" to "leases"
ALTER TABLE `new_leases` RENAME TO `leases`;
-- Create index "lease_client_id_source_id" to table: "leases"
CREATE UNIQUE INDEX `lease_client_id_source_id` ON `leases` (`client_id`, `source_id`);
-- Create index "lease_client_id_propexo_id" to table: "leases"
CREATE UNIQUE INDEX `lease_client_id_propexo_id` ON `leases` (`client_id`, `propexo_id`);
-- Create index "lease_client_id_status_key_move_in_date" to table: "leases"
CREATE INDEX `lease_client_id_status_key_move_in_date` ON `leases` (`client_id`, `status_key`, `move_in_date`);
-- Create index "lease_client_id_status_key_lease_start_date" to table: "leases"
CREATE INDEX `lease_client_id_status_key_lease_start_date` ON `leases` (`client_id`, `status_key`, `lease_start_date`);
-- Create index "lease_client_id_status_key_move_out_date" to table: "leases"
CREATE INDEX `lease_client_id_status_key_move_out_date` ON `leases` (`client_id`, `status_key`, `move_out_date`);
-- Create index "lease_client_id_status_key_lease_end_date" to table: "leases"
CREATE INDEX `lease_client_id_status_key_lease_end_date` ON `leases` (`client_id`, `status_key`, `lease_end_date`);
-- Create index "lease_property_id" to table: "leases"
CREATE INDEX `lease_property_id` ON `leases` (`property_id`);
-- Create "new_tenants" table
CREATE TABLE `new_tenants` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `source_id` text NOT NULL DEFAULT (''), `first_name` text NOT NULL DEFAULT (''), `last_name` text NOT NULL DEFAULT (''), `email` text NOT NULL DEFAULT (''), `cell_phone` text NOT NULL DEFAULT (''), `home_phone` text NOT NULL DEFAULT (''), `gender` text NULL, `previous_address` json NULL, `forwarding_address` json NULL, `extra` json NULL, `propexo_id` text NULL, `client_id` integer NOT NULL, `lease_id` integer NOT NULL, CONSTRAINT `tenants_companies_tenants` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION, CONSTRAINT `tenants_leases_tenants` FOREIGN KEY (`lease_id`) REFERENCES `leases` (`id`) ON DELETE NO ACTION);
-- Set sequence for "new_tenants" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("new_tenants", 21474836480);
-- Copy rows from old table "tenants" to new temporary table "new_tenants"
INSERT INTO `new_tenants` (`id`, `created_at`, `updated_at`, `source_id`, `first_name`, `last_name`, `email`, `cell_phone`, `home_phone`, `gender`, `previous_address`, `forwarding_address`, `extra`, `client_id`, `lease_id`) SELECT `id`, `created_at`, `updated_at`, `source_id`, `first_name`, `last_name`, `email`, `cell_phone`, `home_phone`, `gender`, `previous_address`, `forwarding_address`, `extra`, `client_id`, `lease_id` FROM `tenants`;
-- Drop "tenants" table after copying rows
DROP TABLE `tenants`;
-- Rename temporary table "new_tenants" to "tenants"
ALTER TABLE `new_tenants` RENAME TO `tenants`;
-- Create index "tenant_lease_id_source_id" to table: "tenants"
CREATE INDEX `tenant_lease_id_source_id` ON `tenants` (`lease_id`, `source_id`);
-- Create index "tenant_lease_id_propexo_id" to table: "tenants"
CREATE UNIQUE INDEX `tenant_lease_id_propexo_id` ON `tenants` (`lease_id`, `propexo_id`);
-- Create index "tenant_client_id_email" to table: "tenants"
CREATE INDEX `tenant_client_id_email` ON `tenants` (`client_id`, `email`);
-- Create "lease_syncs" table
CREATE TABLE `lease_syncs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `phase` text NOT NULL DEFAULT ('IDLE'), `full` bool NOT NULL DEFAULT (true), `page_offset` integer NOT NULL DEFAULT (0), `pass_started_at` datetime NULL, `leases_since` datetime NULL, `residents_since` datetime NULL, `transfers_since` datetime NULL, `pass_newest` datetime NULL, `last_run_at` datetime NULL, `last_success_at` datetime NULL, `last_full_at` datetime NULL, `next_run_at` datetime NULL, `leases_synced` integer NOT NULL DEFAULT (0), `tenants_synced` integer NOT NULL DEFAULT (0), `leases_removed` integer NOT NULL DEFAULT (0), `records_skipped` integer NOT NULL DEFAULT (0), `last_error` text NOT NULL DEFAULT (''), `client_id` integer NOT NULL, CONSTRAINT `lease_syncs_companies_lease_sync` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION);
-- Set sequence for "lease_syncs" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("lease_syncs", 64424509440);
-- Create index "lease_syncs_client_id_key" to table: "lease_syncs"
CREATE UNIQUE INDEX `lease_syncs_client_id_key` ON `lease_syncs` (`client_id`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
