-- Modify "tenants" table
ALTER TABLE "tenants" ADD COLUMN "propexo_primary_address" jsonb NULL, ADD COLUMN "propexo_alternate_address" jsonb NULL;
