package propexotest

// webhookModels is the model enum of _v1_webhooks__post_input and
// _v1_webhooks_{webhook_id}_put_input (docs/partners/propexo.md#webhook-configuration:
// the two lists are the same), copied from Propexo's OpenAPI extract.
var webhookModels = []string{
	"accounting_entities", "address_types", "amenities", "ap_codes", "ap_codes_to_construction_job",
	"applicant_pets", "applicants", "applicants_to_applications", "applicants_to_events",
	"applicants_to_rentable_items", "application_statuses", "applications", "call_logs", "charge_code_types",
	"charge_code_types_to_charge_timings", "charge_codes", "charge_timings", "concessions",
	"construction_job_details", "construction_jobs", "contract_details", "contracts", "crm_agents",
	"crm_amenities", "crm_attributions", "crm_communities", "crm_communities_to_agents",
	"crm_communities_to_attributions", "crm_events", "crm_listings", "crm_pet_policies", "crm_prospects",
	"deposit_summaries", "deposits", "employees", "entrata_lease_periods", "entrata_unit_types",
	"entrata_vendor_locations", "event_results", "event_results_to_event_types", "event_sub_types",
	"event_types", "events", "fees", "file_types", "financial_accounts", "floor_plans",
	"integration_configuration_meta_data", "invoice_items", "invoices", "lead_pets", "lead_relationships",
	"lead_sources", "leads", "leads_to_events", "leads_to_rentable_items", "lease_services", "lease_transfers",
	"leases", "listings", "locations", "note_categories", "owners", "owners_to_properties",
	"payable_register_items", "payable_registers", "pet_types", "properties", "property_lists",
	"property_lists_to_properties", "property_office_hours", "purchase_order_items",
	"purchase_order_items_to_invoices", "purchase_orders", "recurring_resident_charges", "rentable_items",
	"rentvine_application_templates", "resident_allocations", "resident_charges", "resident_insurance",
	"resident_payments", "resident_pets", "resident_vehicles", "residents", "residents_to_events",
	"residents_to_leases", "residents_to_rentable_items", "screenings", "service_request_access_contacts",
	"service_request_categories", "service_request_locations", "service_request_notes",
	"service_request_priorities", "service_request_problems", "service_request_statuses",
	"service_request_vendor_categories", "service_request_vendor_contacts", "service_request_vendors",
	"service_request_vendors_insurance", "service_request_vendors_to_properties", "service_requests",
	"service_requests_to_employees", "service_requests_to_vendors", "timezones", "transactions", "unit_details",
	"unit_pricing", "units", "units_to_amenity", "vendor_insurance_coverage_types",
	"vendor_insurance_policy_types", "vendor_payment_types",
}
