-- River's migration 003 (river job tags non null) for SQLite, from github.com/riverqueue/river/riverdriver/riversqlite v0.34.0.
-- Written by make river-migrations (migrations/rivergen); do not edit: a River
-- upgrade adds files. A database whose river_migration table already records
-- this version (River's own migrator made it) gets this file recorded, not run.
--
-- Normally `river_job.tags` is set to `NOT NULL` with a `DEFAULT` here, but since
-- SQLite was added well after 003 came about, we push that to version 006 index.
--

-- River's record of the version, as River's migrator writes it.
INSERT INTO river_migration (version) VALUES (3);
