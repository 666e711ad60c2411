-- Create index "integrationjob_client_id_kind_created_at" to table: "integration_jobs"
CREATE INDEX "integrationjob_client_id_kind_created_at" ON "integration_jobs" ("client_id", "kind", "created_at");
