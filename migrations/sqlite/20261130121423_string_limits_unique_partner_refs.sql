-- Create index "company_smartmove_reference" to table: "companies"
CREATE UNIQUE INDEX `company_smartmove_reference` ON `companies` (`smartmove_reference`);
-- Create index "company_propexo_integration_id" to table: "companies"
CREATE UNIQUE INDEX `company_propexo_integration_id` ON `companies` (`propexo_integration_id`);
