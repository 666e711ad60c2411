-- Add column "propexo_primary_address" to table: "tenants"
ALTER TABLE `tenants` ADD COLUMN `propexo_primary_address` json NULL;
-- Add column "propexo_alternate_address" to table: "tenants"
ALTER TABLE `tenants` ADD COLUMN `propexo_alternate_address` json NULL;
