package propexo

import "encoding/json"

// CreateProspectRequest is the body of POST /crm/v1/prospects/.
//
// Strings are sent only when non-empty. Numbers and Subscribe are pointers
// because their zero value is meaningful (subscribe=false is an explicit
// opt-out; rent 0 is an error the caller should hear about, not a silent
// omission). Use [Int] and [Bool] to fill them.
type CreateProspectRequest struct {
	IntegrationID          string   `json:"integration_id"`
	CommunityID            string   `json:"community_id,omitempty"`
	Email1                 string   `json:"email_1,omitempty"`
	Phone1                 string   `json:"phone_1,omitempty"`
	Phone2                 string   `json:"phone_2,omitempty"`
	FirstName              string   `json:"first_name,omitempty"`
	MiddleName             string   `json:"middle_name,omitempty"`
	LastName               string   `json:"last_name,omitempty"`
	MoveInDate             string   `json:"move_in_date,omitempty"`
	RentMinimumInCents     *int     `json:"rent_minimum_in_cents,omitempty"`
	RentMaximumInCents     *int     `json:"rent_maximum_in_cents,omitempty"`
	Notes                  string   `json:"notes,omitempty"`
	Pets                   []string `json:"pets,omitempty"`
	AttributionID          string   `json:"attribution_id,omitempty"`
	AgentID                string   `json:"agent_id,omitempty"`
	Address1               string   `json:"address_1,omitempty"`
	Address2               string   `json:"address_2,omitempty"`
	City                   string   `json:"city,omitempty"`
	State                  string   `json:"state,omitempty"`
	Zip                    string   `json:"zip,omitempty"`
	Country                string   `json:"country,omitempty"`
	NumberOfOccupants      *int     `json:"number_of_occupants,omitempty"`
	LeaseTermInMonths      *int     `json:"lease_term_in_months,omitempty"`
	DesiredNumBedrooms     []int    `json:"desired_num_bedrooms,omitempty"`
	Subscribe              *bool    `json:"subscribe,omitempty"`
	FirstContactType       string   `json:"first_contact_type,omitempty"`
	PreferredContactMethod string   `json:"preferred_contact_method,omitempty"`
	ProspectSource         string   `json:"prospect_source,omitempty"`
}

// UpdateProspectRequest is the body of PUT /crm/v1/prospects/{prospect_id}.
// The update spec has no integration_id, community_id, attribution_id,
// first_contact_type or middle_name, so neither does this struct. Notes are
// appended by Propexo to the prospect's existing notes, not replaced.
type UpdateProspectRequest struct {
	LeaseID                string   `json:"lease_id"`
	Email1                 string   `json:"email_1,omitempty"`
	Phone1                 string   `json:"phone_1,omitempty"`
	Phone2                 string   `json:"phone_2,omitempty"`
	FirstName              string   `json:"first_name,omitempty"`
	LastName               string   `json:"last_name,omitempty"`
	MoveInDate             string   `json:"move_in_date,omitempty"`
	RentMinimumInCents     *int     `json:"rent_minimum_in_cents,omitempty"`
	RentMaximumInCents     *int     `json:"rent_maximum_in_cents,omitempty"`
	Notes                  string   `json:"notes,omitempty"`
	Pets                   []string `json:"pets,omitempty"`
	AgentID                string   `json:"agent_id,omitempty"`
	NumberOfOccupants      *int     `json:"number_of_occupants,omitempty"`
	LeaseTermInMonths      *int     `json:"lease_term_in_months,omitempty"`
	DesiredNumBedrooms     []int    `json:"desired_num_bedrooms,omitempty"`
	Address1               string   `json:"address_1,omitempty"`
	Address2               string   `json:"address_2,omitempty"`
	City                   string   `json:"city,omitempty"`
	State                  string   `json:"state,omitempty"`
	Zip                    string   `json:"zip,omitempty"`
	Country                string   `json:"country,omitempty"`
	PreferredContactMethod string   `json:"preferred_contact_method,omitempty"`
	Subscribe              *bool    `json:"subscribe,omitempty"`
	ProspectSource         string   `json:"prospect_source,omitempty"`
}

// Int returns a pointer to n, for the optional integer fields.
func Int(n int) *int { return &n }

// Bool returns a pointer to b, for Subscribe.
func Bool(b bool) *bool { return &b }

// WriteResponse is Propexo's answer to an accepted write. Both documented
// shapes, {job_id, data} and {meta:{job_id}, result:{...}}, land here.
type WriteResponse struct {
	// JobID is the root job id to pass to WriteStatus and RetryWrite.
	JobID string
	// Data is the "data" (or "result") object as sent, undecoded: its
	// contents are not specified and differ per CRM.
	Data json.RawMessage
}

// Status is a write job's state.
type Status string

// The write_status values of GET /v1/admin/write-status/{root_job_id}.
const (
	StatusPending        Status = "PENDING"
	StatusSuccess        Status = "SUCCESS"
	StatusPartialSuccess Status = "PARTIAL_SUCCESS"
	StatusFailure        Status = "FAILURE"
)

// Done reports whether the job has finished, successfully or not.
func (s Status) Done() bool {
	return s == StatusSuccess || s == StatusPartialSuccess || s == StatusFailure
}

// WriteStatus is the outcome of one write job.
type WriteStatus struct {
	JobID  string
	Status Status
	// Errors are the partner's messages; an object without a "message" is
	// kept as its raw JSON text.
	Errors []string
	// CreatedRecordID is the prospect id in Propexo, "" while unknown (the
	// partner sends null until the write succeeded).
	CreatedRecordID string
}
