-- Create "process_heartbeats" table
CREATE TABLE `process_heartbeats` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `name` text NOT NULL, `host` text NOT NULL DEFAULT (''), `started_at` datetime NOT NULL, `beat_at` datetime NOT NULL);
-- Set sequence for "process_heartbeats" table
INSERT INTO sqlite_sequence (name, seq) VALUES ("process_heartbeats", 85899345920);
-- Create index "process_heartbeats_name_key" to table: "process_heartbeats"
CREATE UNIQUE INDEX `process_heartbeats_name_key` ON `process_heartbeats` (`name`);
-- Create index "processheartbeat_beat_at" to table: "process_heartbeats"
CREATE INDEX `processheartbeat_beat_at` ON `process_heartbeats` (`beat_at`);
