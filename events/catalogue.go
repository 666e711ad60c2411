package events

// Type is an event type: a dot-delimited name, the object first, then what
// happened to it (Standard Webhooks recommends such names; Stripe and Svix
// use them).
type Type string

// The catalogue. Each type's description is served by the graph's
// eventTypes and repeated in docs/api.md#events.
const (
	LeaseCreated            Type = "lease.created"
	LeaseUpdated            Type = "lease.updated"
	LeaseRemoved            Type = "lease.removed"
	LeaseImportCompleted    Type = "lease_import.completed"
	LeaseSyncSucceeded      Type = "lease_sync.succeeded"
	LeaseSyncFailed         Type = "lease_sync.failed"
	ScreeningStatusChanged  Type = "screening.status_changed"
	ScreeningReportReady    Type = "screening.report_ready"
	ProspectDelivered       Type = "prospect.delivered"
	ProspectDeliveryFailed  Type = "prospect.delivery_failed"
	ProspectDeliveryPartial Type = "prospect.delivery_partial"
	SMSDelivered            Type = "sms.delivered"
	SMSFailed               Type = "sms.failed"
	RegistrationCompleted   Type = "registration.completed"
	WebhookTest             Type = "webhook.test"
)

// Info describes one type of the catalogue.
type Info struct {
	Name        Type
	Description string
	// ObjectType is the GraphQL type data describes.
	ObjectType string
}

// Catalogue lists every type, in the order the documentation gives them.
var Catalogue = []Info{
	{LeaseCreated, "A lease appeared through the lease sync or a Propexo webhook after the client's first full sync (the first sync raises one lease_sync.succeeded instead of one event per lease), or came back after its removal. data: the lease as /leases shows it, with its tenants and their addresses, and transferred. A lease and its tenants read by the sync in two pages raise lease.created, then lease.updated.", "Lease"},
	{LeaseUpdated, "A synced lease or one of its tenants changed (status, dates, addresses, names, phones, a lease transfer): one event per lease per page or webhook re-read that changed what /leases shows, none for a lease read again unchanged. data: the lease as /leases shows it, as it is after the change, and transferred.", "Lease"},
	{LeaseRemoved, "A full sync no longer found a lease at Propexo: it is kept (readable by id) but left out of every list. data: the lease as it was, with removed_at and transferred.", "Lease"},
	{LeaseImportCompleted, "A lease import (importLeases) committed. One event per import, not one per lease; none for a dry run or a feed with a bad row. data: the counts (leases, leases_created, leases_updated, leases_unchanged, tenants_created, tenants_updated, tenants_deleted, properties_created) and started_at/finished_at: the leases it wrote are those whose updatedAt falls between them.", "Client"},
	{LeaseSyncSucceeded, "A lease sync run ended well. data: the run (an IntegrationJob of kind LEASE_SYNC: status, kind, attempts, last_error, started_at, finished_at), full, the client's sync counts (leases_synced, tenants_synced, leases_removed, records_skipped) and first (true for the client's first full sync, which raises no per-lease events: page its leases with leases(where: {updatedAtGTE: started_at})).", "IntegrationJob"},
	{LeaseSyncFailed, "A lease sync run failed for good (out of attempts, or nothing to sync from). data: as lease_sync.succeeded, with its last_error (first is false).", "IntegrationJob"},
	{ScreeningStatusChanged, "A screening application's report status moved (a SmartMove postback, a refresh, a cancellation); a late or repeated postback that moves nothing raises nothing. data: the application (status, previous_status, order_status, kind, smartmove_application_id, credit_recommendation, property_name, unit_number) with its applicants (email, status, first_name, last_name); never the report's URL.", "ScreeningApplication"},
	{ScreeningReportReady, "A screening application's report is READY (raised beside screening.status_changed): fetch reportUrl. data: as screening.status_changed.", "ScreeningApplication"},
	{ProspectDelivered, "Propexo stored a prospect write (create or update). data: the delivery (an IntegrationJob: kind, status, attempts, last_error, failed_fields, partner_job_id) with the prospect's id (prospect_id) and Propexo's (propexo_prospect_id).", "IntegrationJob"},
	{ProspectDeliveryFailed, "Propexo refused a prospect write, its job failed, or the write ran out of attempts. data: as prospect.delivered, with last_error and failed_fields.", "IntegrationJob"},
	{ProspectDeliveryPartial, "Propexo stored a prospect write without some of its fields. data: as prospect.delivered, with failed_fields.", "IntegrationJob"},
	{SMSDelivered, "Twilio reported an invitation SMS delivered. data: the delivery (an IntegrationJob of kind SMS: status, partner_status (Twilio's word), error_code, last_error, segments, sent_at) with its prospect_id and registration_id. When Twilio's callback outran its answer to the send, sent_at is null and segments 0.", "IntegrationJob"},
	{SMSFailed, "An invitation SMS failed (Twilio refused it, reported it undelivered or failed, or its attempts ran out); a late or repeated callback raises nothing. data: as sms.delivered, with Twilio's error_code.", "IntegrationJob"},
	{RegistrationCompleted, "An agent-assisted registration ended (the iframe or registerProspect), whatever its outcome. data: the registration with status (INVITED, PRELEASE, BANNED, INCOMPLETE), message, channel, property_tag, property_id and prospect_id (null when none).", "Registration"},
	{WebhookTest, "Sent by sendTestWebhookEvent to one endpoint. data: the endpoint's id and a message.", "WebhookEndpoint"},
}

// Known says whether t is in the catalogue.
func Known(t Type) bool {
	for _, i := range Catalogue {
		if i.Name == t {
			return true
		}
	}
	return false
}
