-- Create index "company_propexo_integration_id" to table: "companies"
CREATE UNIQUE INDEX "company_propexo_integration_id" ON "companies" ("propexo_integration_id");
-- Create index "company_smartmove_reference" to table: "companies"
CREATE UNIQUE INDEX "company_smartmove_reference" ON "companies" ("smartmove_reference");
-- Modify "integration_jobs" table
ALTER TABLE "integration_jobs" ALTER COLUMN "notes_to_append" TYPE character varying;
-- Modify "prospects" table
ALTER TABLE "prospects" ALTER COLUMN "notes" TYPE character varying;
