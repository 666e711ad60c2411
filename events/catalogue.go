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
	{LeaseCreated, "A lease appeared through the lease sync or a Propexo webhook after the client's first full sync (the first sync raises one lease_sync.succeeded instead of one event per lease). data: the lease as /leases shows it, with its tenants and their addresses.", "Lease"},
	{LeaseUpdated, "A synced lease or one of its tenants changed (status, dates, addresses, names, phones). data: the lease as /leases shows it, as it is after the change.", "Lease"},
	{LeaseRemoved, "A full sync no longer found a lease at Propexo: it is kept (readable by id) but left out of every list. data: the lease as it was, with removed_at.", "Lease"},
	{LeaseImportCompleted, "A lease import (importLeases, or the CLI) committed. One event per import, not one per lease. data: the counts (leases and tenants created and updated, properties created) and started_at/finished_at: the leases it wrote are those whose updatedAt falls between them.", "Client"},
	{LeaseSyncSucceeded, "A lease sync run ended well. data: the run (an IntegrationJob of kind LEASE_SYNC) with the client's sync counts and first (true for the client's first full sync, which raises no per-lease events: page its leases with leases(where: {updatedAtGTE: started_at})).", "IntegrationJob"},
	{LeaseSyncFailed, "A lease sync run failed for good (out of attempts, or nothing to sync from). data: the run with its last_error.", "IntegrationJob"},
	{ScreeningStatusChanged, "A screening application's report status moved (a SmartMove postback or a refresh). data: the application with its status, previous_status and applicants.", "ScreeningApplication"},
	{ScreeningReportReady, "A screening application's report is READY (raised beside screening.status_changed): fetch reportUrl. data: as screening.status_changed.", "ScreeningApplication"},
	{ProspectDelivered, "Propexo stored a prospect write (create or update). data: the delivery (an IntegrationJob) with its kind, the prospect's id and Propexo's prospect id.", "IntegrationJob"},
	{ProspectDeliveryFailed, "Propexo refused a prospect write, or it ran out of attempts. data: the delivery with last_error and failed_fields.", "IntegrationJob"},
	{ProspectDeliveryPartial, "Propexo stored a prospect write without some of its fields. data: the delivery with failed_fields.", "IntegrationJob"},
	{SMSDelivered, "Twilio reported an invitation SMS delivered. data: the delivery (an IntegrationJob of kind SMS) with Twilio's status.", "IntegrationJob"},
	{SMSFailed, "An invitation SMS failed (Twilio refused it, reported it undelivered or failed, or its attempts ran out). data: the delivery with Twilio's error code.", "IntegrationJob"},
	{RegistrationCompleted, "An agent-assisted registration ended (the iframe or registerProspect), whatever its outcome. data: the registration with status (INVITED, PRELEASE, BANNED, INCOMPLETE), message, channel and prospect_id.", "Registration"},
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
