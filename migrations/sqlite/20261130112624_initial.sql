-- Create "api_tokens" table
CREATE TABLE `api_tokens` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL DEFAULT (''), `prefix` text NOT NULL, `hash` text NOT NULL, `scopes` json NOT NULL, `last_used_at` datetime NULL, `revoked_at` datetime NULL, `client_id` integer NULL, CONSTRAINT `api_tokens_companies_api_tokens` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE SET NULL);
-- Create index "api_tokens_prefix_key" to table: "api_tokens"
CREATE UNIQUE INDEX `api_tokens_prefix_key` ON `api_tokens` (`prefix`);
-- Create index "api_tokens_hash_key" to table: "api_tokens"
CREATE UNIQUE INDEX `api_tokens_hash_key` ON `api_tokens` (`hash`);
-- Create "applicants" table
CREATE TABLE `applicants` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `status` text NOT NULL DEFAULT ('NO_ACTIVITY'), `first_name` text NOT NULL DEFAULT (''), `last_name` text NOT NULL DEFAULT (''), `request_expires_at` datetime NULL, `client_id` integer NOT NULL, `application_id` integer NOT NULL, CONSTRAINT `applicants_companies_applicants` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION, CONSTRAINT `applicants_screening_applications_applicants` FOREIGN KEY (`application_id`) REFERENCES `screening_applications` (`id`) ON DELETE NO ACTION);
-- Set sequence for "applicants" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("applicants", 47244640256);
-- Create index "applicant_application_id_email" to table: "applicants"
CREATE UNIQUE INDEX `applicant_application_id_email` ON `applicants` (`application_id`, `email`);
-- Create "bans" table
CREATE TABLE `bans` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `phone` text NOT NULL DEFAULT (''), `email` text NOT NULL DEFAULT (''), `reason` text NOT NULL DEFAULT (''), `client_id` integer NOT NULL, CONSTRAINT `bans_companies_bans` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION);
-- Set sequence for "bans" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("bans", 25769803776);
-- Create index "ban_client_id_phone" to table: "bans"
CREATE INDEX `ban_client_id_phone` ON `bans` (`client_id`, `phone`);
-- Create index "ban_client_id_email" to table: "bans"
CREATE INDEX `ban_client_id_email` ON `bans` (`client_id`, `email`);
-- Create "cards" table
CREATE TABLE `cards` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `brand` text NOT NULL, `last4` text NOT NULL, `exp_month` integer NOT NULL, `exp_year` integer NOT NULL, `vault_token` text NOT NULL, `fingerprint` text NOT NULL DEFAULT (''), `client_id` integer NOT NULL, `prospect_id` integer NOT NULL, CONSTRAINT `cards_companies_cards` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION, CONSTRAINT `cards_prospects_cards` FOREIGN KEY (`prospect_id`) REFERENCES `prospects` (`id`) ON DELETE NO ACTION);
-- Set sequence for "cards" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("cards", 30064771072);
-- Create index "card_client_id_prospect_id" to table: "cards"
CREATE INDEX `card_client_id_prospect_id` ON `cards` (`client_id`, `prospect_id`);
-- Create "companies" table
CREATE TABLE `companies` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `move_in_statuses` json NOT NULL, `move_out_statuses` json NOT NULL, `transfer_statuses` json NOT NULL, `crm_origins` json NULL, `smartmove_reference` text NULL, `propexo_integration_id` text NULL);
-- Set sequence for "companies" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("companies", 4294967296);
-- Create "idempotency_records" table
CREATE TABLE `idempotency_records` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `operation` text NOT NULL, `key` text NOT NULL, `result_id` integer NULL, `client_id` integer NOT NULL, CONSTRAINT `idempotency_records_companies_idempotency_records` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION);
-- Set sequence for "idempotency_records" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("idempotency_records", 42949672960);
-- Create index "idempotencyrecord_client_id_operation_key" to table: "idempotency_records"
CREATE UNIQUE INDEX `idempotencyrecord_client_id_operation_key` ON `idempotency_records` (`client_id`, `operation`, `key`);
-- Create "inbound_events" table
CREATE TABLE `inbound_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `source` text NOT NULL, `dedupe_key` text NOT NULL, `report_status` text NOT NULL DEFAULT (''), `outcome` text NOT NULL, `payload` json NOT NULL, `client_id` integer NOT NULL, `screening_application_id` integer NULL, CONSTRAINT `inbound_events_companies_inbound_events` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION, CONSTRAINT `inbound_events_screening_applications_inbound_events` FOREIGN KEY (`screening_application_id`) REFERENCES `screening_applications` (`id`) ON DELETE SET NULL);
-- Set sequence for "inbound_events" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("inbound_events", 51539607552);
-- Create index "inboundevent_client_id_source_dedupe_key" to table: "inbound_events"
CREATE UNIQUE INDEX `inboundevent_client_id_source_dedupe_key` ON `inbound_events` (`client_id`, `source`, `dedupe_key`);
-- Create "integration_jobs" table
CREATE TABLE `integration_jobs` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `status` text NOT NULL DEFAULT ('QUEUED'), `attempts` integer NOT NULL DEFAULT (0), `last_error` text NOT NULL DEFAULT (''), `partner_job_id` text NOT NULL DEFAULT (''), `notes_to_append` text NOT NULL DEFAULT (''), `next_attempt_at` datetime NULL, `client_id` integer NOT NULL, `prospect_id` integer NULL, `registration_id` integer NULL, CONSTRAINT `integration_jobs_companies_integration_jobs` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION, CONSTRAINT `integration_jobs_prospects_integration_jobs` FOREIGN KEY (`prospect_id`) REFERENCES `prospects` (`id`) ON DELETE SET NULL, CONSTRAINT `integration_jobs_registrations_deliveries` FOREIGN KEY (`registration_id`) REFERENCES `registrations` (`id`) ON DELETE SET NULL);
-- Set sequence for "integration_jobs" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("integration_jobs", 34359738368);
-- Create "leases" table
CREATE TABLE `leases` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `source_id` text NOT NULL, `unit_address` json NULL, `status` text NOT NULL, `status_key` text NOT NULL, `lease_start_date` datetime NOT NULL, `lease_end_date` datetime NULL, `move_in_date` datetime NULL, `move_out_date` datetime NULL, `use_type` text NOT NULL DEFAULT (''), `previous_address` json NULL, `forwarding_address` json NULL, `extra` json NULL, `client_id` integer NOT NULL, `property_id` integer NOT NULL, CONSTRAINT `leases_companies_leases` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION, CONSTRAINT `leases_properties_leases` FOREIGN KEY (`property_id`) REFERENCES `properties` (`id`) ON DELETE NO ACTION);
-- Set sequence for "leases" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("leases", 8589934592);
-- Create index "lease_client_id_source_id" to table: "leases"
CREATE UNIQUE INDEX `lease_client_id_source_id` ON `leases` (`client_id`, `source_id`);
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
-- Create "properties" table
CREATE TABLE `properties` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `tag` text NOT NULL, `name` text NOT NULL DEFAULT (''), `address` json NULL, `showing_mode` text NOT NULL DEFAULT ('SELF_SHOWING'), `client_id` integer NOT NULL, CONSTRAINT `properties_companies_properties` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION);
-- Set sequence for "properties" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("properties", 12884901888);
-- Create index "property_client_id_tag" to table: "properties"
CREATE UNIQUE INDEX `property_client_id_tag` ON `properties` (`client_id`, `tag`);
-- Create "prospects" table
CREATE TABLE `prospects` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `first_name` text NOT NULL DEFAULT (''), `middle_name` text NOT NULL DEFAULT (''), `last_name` text NOT NULL DEFAULT (''), `email_1` text NOT NULL DEFAULT (''), `phone_1` text NOT NULL DEFAULT (''), `phone_2` text NOT NULL DEFAULT (''), `move_in_date` datetime NULL, `rent_minimum_in_cents` integer NULL, `rent_maximum_in_cents` integer NULL, `notes` text NOT NULL DEFAULT (''), `pets` json NULL, `address_1` text NOT NULL DEFAULT (''), `address_2` text NOT NULL DEFAULT (''), `city` text NOT NULL DEFAULT (''), `state` text NOT NULL DEFAULT (''), `zip` text NOT NULL DEFAULT (''), `country` text NOT NULL DEFAULT (''), `number_of_occupants` integer NULL, `lease_term_in_months` integer NULL, `desired_num_bedrooms` json NULL, `subscribe` bool NULL, `first_contact_type` text NOT NULL DEFAULT (''), `preferred_contact_method` text NOT NULL DEFAULT (''), `prospect_source` text NOT NULL DEFAULT (''), `community_id` text NOT NULL DEFAULT (''), `attribution_id` text NOT NULL DEFAULT (''), `agent_id` text NOT NULL DEFAULT (''), `propexo_prospect_id` text NOT NULL DEFAULT (''), `propexo_lease_id` text NOT NULL DEFAULT (''), `client_id` integer NOT NULL, `property_id` integer NULL, CONSTRAINT `prospects_companies_prospects` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION, CONSTRAINT `prospects_properties_prospects` FOREIGN KEY (`property_id`) REFERENCES `properties` (`id`) ON DELETE SET NULL);
-- Set sequence for "prospects" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("prospects", 17179869184);
-- Create index "prospect_client_id_phone_1" to table: "prospects"
CREATE INDEX `prospect_client_id_phone_1` ON `prospects` (`client_id`, `phone_1`);
-- Create index "prospect_client_id_email_1" to table: "prospects"
CREATE INDEX `prospect_client_id_email_1` ON `prospects` (`client_id`, `email_1`);
-- Create "registrations" table
CREATE TABLE `registrations` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `property_tag` text NOT NULL DEFAULT (''), `status` text NOT NULL, `message` text NOT NULL DEFAULT (''), `channel` text NOT NULL, `token_id` integer NULL, `sms_notes` text NOT NULL DEFAULT (''), `client_id` integer NOT NULL, `property_id` integer NULL, `prospect_id` integer NULL, CONSTRAINT `registrations_companies_registrations` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION, CONSTRAINT `registrations_properties_registrations` FOREIGN KEY (`property_id`) REFERENCES `properties` (`id`) ON DELETE SET NULL, CONSTRAINT `registrations_prospects_registrations` FOREIGN KEY (`prospect_id`) REFERENCES `prospects` (`id`) ON DELETE SET NULL);
-- Set sequence for "registrations" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("registrations", 38654705664);
-- Create index "registration_client_id_created_at" to table: "registrations"
CREATE INDEX `registration_client_id_created_at` ON `registrations` (`client_id`, `created_at`);
-- Create "screening_applications" table
CREATE TABLE `screening_applications` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `kind` text NOT NULL, `order_status` text NOT NULL DEFAULT ('SUBMITTING'), `status` text NOT NULL DEFAULT ('PENDING'), `smartmove_application_id` integer NULL, `customer_reference` text NOT NULL, `landlord_pays` bool NULL, `property_name` text NOT NULL DEFAULT (''), `unit_number` text NOT NULL DEFAULT (''), `smartmove_status` text NOT NULL DEFAULT (''), `credit_recommendation` text NOT NULL DEFAULT ('UNAVAILABLE'), `credit_recommendation_policy_text` text NOT NULL DEFAULT (''), `last_notification` text NOT NULL DEFAULT (''), `last_postback_at` datetime NULL, `last_refreshed_at` datetime NULL, `completion_link` text NOT NULL DEFAULT (''), `postback_key` text NOT NULL, `postback_credentials_hash` text NOT NULL, `client_id` integer NOT NULL, CONSTRAINT `screening_applications_companies_screening_applications` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION);
-- Set sequence for "screening_applications" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("screening_applications", 55834574848);
-- Create index "screening_applications_postback_key_key" to table: "screening_applications"
CREATE UNIQUE INDEX `screening_applications_postback_key_key` ON `screening_applications` (`postback_key`);
-- Create index "screeningapplication_client_id_created_at" to table: "screening_applications"
CREATE INDEX `screeningapplication_client_id_created_at` ON `screening_applications` (`client_id`, `created_at`);
-- Create index "screeningapplication_client_id_smartmove_application_id" to table: "screening_applications"
CREATE INDEX `screeningapplication_client_id_smartmove_application_id` ON `screening_applications` (`client_id`, `smartmove_application_id`);
-- Create index "screeningapplication_status_order_status" to table: "screening_applications"
CREATE INDEX `screeningapplication_status_order_status` ON `screening_applications` (`status`, `order_status`);
-- Create "screening_requests" table
CREATE TABLE `screening_requests` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `key` text NOT NULL, `operation` text NOT NULL, `request_hash` text NOT NULL, `state` text NOT NULL DEFAULT ('IN_PROGRESS'), `screening_application_id` integer NULL, `error_code` text NOT NULL DEFAULT (''), `error_message` text NOT NULL DEFAULT (''), `client_id` integer NOT NULL, CONSTRAINT `screening_requests_companies_screening_requests` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION);
-- Set sequence for "screening_requests" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("screening_requests", 60129542144);
-- Create index "screeningrequest_client_id_key_operation" to table: "screening_requests"
CREATE UNIQUE INDEX `screeningrequest_client_id_key_operation` ON `screening_requests` (`client_id`, `key`, `operation`);
-- Create index "screeningrequest_state_created_at" to table: "screening_requests"
CREATE INDEX `screeningrequest_state_created_at` ON `screening_requests` (`state`, `created_at`);
-- Create "tenants" table
CREATE TABLE `tenants` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `source_id` text NOT NULL DEFAULT (''), `first_name` text NOT NULL DEFAULT (''), `last_name` text NOT NULL DEFAULT (''), `email` text NOT NULL DEFAULT (''), `cell_phone` text NOT NULL DEFAULT (''), `home_phone` text NOT NULL DEFAULT (''), `gender` text NULL, `previous_address` json NULL, `forwarding_address` json NULL, `extra` json NULL, `client_id` integer NOT NULL, `lease_id` integer NOT NULL, CONSTRAINT `tenants_companies_tenants` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION, CONSTRAINT `tenants_leases_tenants` FOREIGN KEY (`lease_id`) REFERENCES `leases` (`id`) ON DELETE NO ACTION);
-- Set sequence for "tenants" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("tenants", 21474836480);
-- Create index "tenant_lease_id_source_id" to table: "tenants"
CREATE INDEX `tenant_lease_id_source_id` ON `tenants` (`lease_id`, `source_id`);
-- Create index "tenant_client_id_email" to table: "tenants"
CREATE INDEX `tenant_client_id_email` ON `tenants` (`client_id`, `email`);
