-- River's migration 003 (river job tags non null) for PostgreSQL, from github.com/riverqueue/river/riverdriver/riverdatabasesql v0.34.0.
-- Written by make river-migrations (migrations/rivergen); do not edit: a River
-- upgrade adds files. A database whose river_migration table already records
-- this version (River's own migrator made it) gets this file recorded, not run.
ALTER TABLE river_job ALTER COLUMN tags SET DEFAULT '{}';
UPDATE river_job SET tags = '{}' WHERE tags IS NULL;
ALTER TABLE river_job ALTER COLUMN tags SET NOT NULL;

-- River's record of the version, as River's migrator writes it.
INSERT INTO river_migration (version) VALUES (3);
