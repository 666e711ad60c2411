-- Create "events" table
CREATE TABLE `events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `type` text NOT NULL, `object_type` text NOT NULL DEFAULT (''), `object_id` integer NULL, `payload` blob NOT NULL, `client_id` integer NOT NULL, CONSTRAINT `events_companies_events` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION);
-- Set sequence for "events" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("events", 68719476736);
-- Create index "event_client_id_created_at" to table: "events"
CREATE INDEX `event_client_id_created_at` ON `events` (`client_id`, `created_at`);
-- Create index "event_client_id_type_created_at" to table: "events"
CREATE INDEX `event_client_id_type_created_at` ON `events` (`client_id`, `type`, `created_at`);
-- Create index "event_client_id_object_id" to table: "events"
CREATE INDEX `event_client_id_object_id` ON `events` (`client_id`, `object_id`);
-- Create index "event_created_at" to table: "events"
CREATE INDEX `event_created_at` ON `events` (`created_at`);
-- Create "webhook_attempts" table
CREATE TABLE `webhook_attempts` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `status_code` integer NULL, `duration_ms` integer NOT NULL DEFAULT (0), `response` text NOT NULL DEFAULT (''), `error` text NOT NULL DEFAULT (''), `client_id` integer NOT NULL, `delivery_id` integer NOT NULL, CONSTRAINT `webhook_attempts_companies_webhook_attempts` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION, CONSTRAINT `webhook_attempts_webhook_deliveries_attempts` FOREIGN KEY (`delivery_id`) REFERENCES `webhook_deliveries` (`id`) ON DELETE CASCADE);
-- Set sequence for "webhook_attempts" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("webhook_attempts", 73014444032);
-- Create "webhook_deliveries" table
CREATE TABLE `webhook_deliveries` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `event_type` text NOT NULL, `status` text NOT NULL DEFAULT ('PENDING'), `attempt_count` integer NOT NULL DEFAULT (0), `next_attempt_at` datetime NULL, `last_status_code` integer NULL, `last_error` text NOT NULL DEFAULT (''), `delivered_at` datetime NULL, `replay` bool NOT NULL DEFAULT (false), `client_id` integer NOT NULL, `event_id` integer NOT NULL, `endpoint_id` integer NOT NULL, CONSTRAINT `webhook_deliveries_companies_webhook_deliveries` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION, CONSTRAINT `webhook_deliveries_events_deliveries` FOREIGN KEY (`event_id`) REFERENCES `events` (`id`) ON DELETE CASCADE, CONSTRAINT `webhook_deliveries_webhook_endpoints_deliveries` FOREIGN KEY (`endpoint_id`) REFERENCES `webhook_endpoints` (`id`) ON DELETE CASCADE);
-- Set sequence for "webhook_deliveries" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("webhook_deliveries", 77309411328);
-- Create index "webhookdelivery_endpoint_id_created_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_endpoint_id_created_at` ON `webhook_deliveries` (`endpoint_id`, `created_at`);
-- Create index "webhookdelivery_endpoint_id_status_created_at" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_endpoint_id_status_created_at` ON `webhook_deliveries` (`endpoint_id`, `status`, `created_at`);
-- Create index "webhookdelivery_endpoint_id_event_id" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_endpoint_id_event_id` ON `webhook_deliveries` (`endpoint_id`, `event_id`);
-- Create index "webhookdelivery_event_id" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_event_id` ON `webhook_deliveries` (`event_id`);
-- Create "webhook_endpoints" table
CREATE TABLE `webhook_endpoints` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `url` text NOT NULL, `description` text NOT NULL DEFAULT (''), `event_types` json NULL, `secret` blob NOT NULL, `previous_secret` blob NULL, `previous_secret_expires_at` datetime NULL, `disabled_at` datetime NULL, `disabled_reason` text NOT NULL DEFAULT (''), `last_success_at` datetime NULL, `failing_since` datetime NULL, `client_id` integer NOT NULL, CONSTRAINT `webhook_endpoints_companies_webhook_endpoints` FOREIGN KEY (`client_id`) REFERENCES `companies` (`id`) ON DELETE NO ACTION);
-- Set sequence for "webhook_endpoints" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("webhook_endpoints", 81604378624);
