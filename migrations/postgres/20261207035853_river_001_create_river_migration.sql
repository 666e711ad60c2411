-- River's migration 001 (create river migration) for PostgreSQL, from github.com/riverqueue/river/riverdriver/riverdatabasesql v0.34.0.
-- Written by make river-migrations (migrations/rivergen); do not edit: a River
-- upgrade adds files. A database whose river_migration table already records
-- this version (River's own migrator made it) gets this file recorded, not run.
CREATE TABLE river_migration(
  id bigserial PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT NOW(),
  version bigint NOT NULL,
  CONSTRAINT version CHECK (version >= 1)
);

CREATE UNIQUE INDEX ON river_migration USING btree(version);

-- River's record of the version, as River's migrator writes it.
INSERT INTO river_migration (version) VALUES (1);
