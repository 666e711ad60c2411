package propexotest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Status is a write job's state, as write-status reports it.
type Status string

// The write_status values.
const (
	Pending        Status = "PENDING"
	Success        Status = "SUCCESS"
	PartialSuccess Status = "PARTIAL_SUCCESS"
	Failure        Status = "FAILURE"
)

// Prospect is a stored prospect. Numbers and Subscribe are pointers so a
// test can tell "never sent" from an explicit zero or false.
type Prospect struct {
	ID                     string   `json:"id"`
	IntegrationID          string   `json:"integration_id"`
	CommunityID            string   `json:"community_id,omitempty"`
	LeaseID                string   `json:"lease_id,omitempty"`
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
	DesiredNumBedrooms     []int    `json:"desired_num_bedrooms,omitempty"` // at most one value
	Subscribe              *bool    `json:"subscribe,omitempty"`
	FirstContactType       string   `json:"first_contact_type,omitempty"`
	PreferredContactMethod string   `json:"preferred_contact_method,omitempty"`
	ProspectSource         string   `json:"prospect_source,omitempty"`
}

// body is a validated create or update request. Every field is a pointer:
// an update changes only what was sent.
type body struct {
	IntegrationID          *string   `json:"integration_id,omitempty"`
	CommunityID            *string   `json:"community_id,omitempty"`
	LeaseID                *string   `json:"lease_id,omitempty"`
	Email1                 *string   `json:"email_1,omitempty"`
	Phone1                 *string   `json:"phone_1,omitempty"`
	Phone2                 *string   `json:"phone_2,omitempty"`
	FirstName              *string   `json:"first_name,omitempty"`
	MiddleName             *string   `json:"middle_name,omitempty"`
	LastName               *string   `json:"last_name,omitempty"`
	MoveInDate             *string   `json:"move_in_date,omitempty"`
	RentMinimumInCents     *int      `json:"rent_minimum_in_cents,omitempty"`
	RentMaximumInCents     *int      `json:"rent_maximum_in_cents,omitempty"`
	Notes                  *string   `json:"notes,omitempty"`
	Pets                   *[]string `json:"pets,omitempty"`
	AttributionID          *string   `json:"attribution_id,omitempty"`
	AgentID                *string   `json:"agent_id,omitempty"`
	Address1               *string   `json:"address_1,omitempty"`
	Address2               *string   `json:"address_2,omitempty"`
	City                   *string   `json:"city,omitempty"`
	State                  *string   `json:"state,omitempty"`
	Zip                    *string   `json:"zip,omitempty"`
	Country                *string   `json:"country,omitempty"`
	NumberOfOccupants      *int      `json:"number_of_occupants,omitempty"`
	LeaseTermInMonths      *int      `json:"lease_term_in_months,omitempty"`
	DesiredNumBedrooms     *[]int    `json:"desired_num_bedrooms,omitempty"`
	Subscribe              *bool     `json:"subscribe,omitempty"`
	FirstContactType       *string   `json:"first_contact_type,omitempty"`
	PreferredContactMethod *string   `json:"preferred_contact_method,omitempty"`
	ProspectSource         *string   `json:"prospect_source,omitempty"`
}

// normalize keeps only the first desired_num_bedrooms, as RentCafe does.
func (b *body) normalize() {
	if b.DesiredNumBedrooms != nil && len(*b.DesiredNumBedrooms) > 1 {
		first := (*b.DesiredNumBedrooms)[:1]
		b.DesiredNumBedrooms = &first
	}
}

// apply writes the sent fields onto p. On update notes are appended to the
// existing notes, one per line, as the update spec says.
func (b *body) apply(p *Prospect, update bool) {
	set(&p.IntegrationID, b.IntegrationID)
	set(&p.CommunityID, b.CommunityID)
	set(&p.LeaseID, b.LeaseID)
	set(&p.Email1, b.Email1)
	set(&p.Phone1, b.Phone1)
	set(&p.Phone2, b.Phone2)
	set(&p.FirstName, b.FirstName)
	set(&p.MiddleName, b.MiddleName)
	set(&p.LastName, b.LastName)
	set(&p.MoveInDate, b.MoveInDate)
	setPtr(&p.RentMinimumInCents, b.RentMinimumInCents)
	setPtr(&p.RentMaximumInCents, b.RentMaximumInCents)
	switch {
	case b.Notes == nil || (update && *b.Notes == ""):
	case update && p.Notes != "":
		p.Notes += "\n" + *b.Notes
	default:
		p.Notes = *b.Notes
	}
	if b.Pets != nil {
		p.Pets = append([]string(nil), *b.Pets...)
	}
	set(&p.AttributionID, b.AttributionID)
	set(&p.AgentID, b.AgentID)
	set(&p.Address1, b.Address1)
	set(&p.Address2, b.Address2)
	set(&p.City, b.City)
	set(&p.State, b.State)
	set(&p.Zip, b.Zip)
	set(&p.Country, b.Country)
	setPtr(&p.NumberOfOccupants, b.NumberOfOccupants)
	setPtr(&p.LeaseTermInMonths, b.LeaseTermInMonths)
	if b.DesiredNumBedrooms != nil {
		p.DesiredNumBedrooms = append([]int(nil), *b.DesiredNumBedrooms...)
	}
	setPtr(&p.Subscribe, b.Subscribe)
	set(&p.FirstContactType, b.FirstContactType)
	set(&p.PreferredContactMethod, b.PreferredContactMethod)
	set(&p.ProspectSource, b.ProspectSource)
}

// failedFields reads the fields a PARTIAL_SUCCESS did not write from its
// errors. Propexo's errors are free text (docs/partners/propexo.md#write-status);
// the simulator's convention, for tests, is "field_name: message".
func failedFields(errs []string) map[string]bool {
	out := make(map[string]bool)
	for _, e := range errs {
		if name, _, ok := strings.Cut(e, ":"); ok && !strings.ContainsAny(name, " \t") {
			out[name] = true
		}
	}
	return out
}

// without returns b minus the named fields.
func (b body) without(fields map[string]bool) body {
	if len(fields) == 0 {
		return b
	}
	raw, _ := json.Marshal(b)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	for f := range fields {
		delete(m, f)
	}
	raw, _ = json.Marshal(m)
	var out body
	_ = json.Unmarshal(raw, &out)
	return out
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func setPtr[T any](dst **T, src *T) {
	if src != nil {
		v := *src
		*dst = &v
	}
}

// clone deep-copies p so callers of the inspection methods cannot race
// with the simulator.
func (p Prospect) clone() Prospect {
	cp := func(v *int) *int {
		if v == nil {
			return nil
		}
		n := *v
		return &n
	}
	p.RentMinimumInCents = cp(p.RentMinimumInCents)
	p.RentMaximumInCents = cp(p.RentMaximumInCents)
	p.NumberOfOccupants = cp(p.NumberOfOccupants)
	p.LeaseTermInMonths = cp(p.LeaseTermInMonths)
	if p.Subscribe != nil {
		b := *p.Subscribe
		p.Subscribe = &b
	}
	p.Pets = append([]string(nil), p.Pets...)
	p.DesiredNumBedrooms = append([]int(nil), p.DesiredNumBedrooms...)
	return p
}

// Job is one write job.
type Job struct {
	ID   string
	Kind string // "create" or "update"
	// ProspectID is the updated prospect, or the created one once the job
	// succeeded.
	ProspectID      string
	Status          Status
	Errors          []string
	CreatedRecordID string // "" is reported as null
	Attempts        int    // 1, plus one per retry-write
	RetryOf         string // the FAILURE job a retry-write re-queued as this one
	CreatedAt       time.Time
	UpdatedAt       time.Time

	body body
}

// Errors returned by CompleteJob.
var (
	ErrUnknownJob    = errors.New("propexotest: unknown job")
	ErrJobNotPending = errors.New("propexotest: job is not pending")
)

// CompleteJob finishes a pending job. SUCCESS and PARTIAL_SUCCESS apply
// the write (a create stores the prospect and sets created_record_id);
// FAILURE applies nothing and records errs (a default message if none).
func (s *Sim) CompleteJob(id string, outcome Status, errs ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.completeLocked(id, outcome, errs)
}

// CompleteAll finishes every pending job with outcome and returns how many.
func (s *Sim) CompleteAll(outcome Status) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, id := range s.jobOrder {
		if s.jobs[id].Status == Pending {
			if s.completeLocked(id, outcome, nil) == nil {
				n++
			}
		}
	}
	return n
}

func (s *Sim) completeLocked(id string, outcome Status, errs []string) error {
	j, ok := s.jobs[id]
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownJob, id)
	}
	if j.Status != Pending {
		return fmt.Errorf("%w: %s is %s", ErrJobNotPending, id, j.Status)
	}
	j.UpdatedAt = s.now()
	j.Errors = append([]string(nil), errs...)
	switch outcome {
	case Failure:
		if len(j.Errors) == 0 {
			j.Errors = []string{"simulated write failure"}
		}
	case Success, PartialSuccess:
		b := j.body
		if outcome == PartialSuccess {
			if len(j.Errors) == 0 {
				j.Errors = []string{"simulated partial failure: some fields were not written"}
			}
			b = b.without(failedFields(j.Errors))
		}
		if j.Kind == "create" {
			s.seq++
			j.ProspectID = fmt.Sprintf("prospect_%d", s.seq)
			s.prospects[j.ProspectID] = &Prospect{ID: j.ProspectID}
			s.prospectOrder = append(s.prospectOrder, j.ProspectID)
			s.created[j.ProspectID] = j.UpdatedAt
		}
		b.apply(s.prospects[j.ProspectID], j.Kind == "update")
		s.updated[j.ProspectID] = j.UpdatedAt
		if !s.opts.NullCreatedRecordID {
			j.CreatedRecordID = j.ProspectID
		}
	default:
		return fmt.Errorf("propexotest: %q is not a final status", outcome)
	}
	j.Status = outcome
	return nil
}

// Prospects returns the stored prospects in creation order.
func (s *Sim) Prospects() []Prospect {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Prospect, 0, len(s.prospectOrder))
	for _, id := range s.prospectOrder {
		out = append(out, s.prospects[id].clone())
	}
	return out
}

// Prospect returns one stored prospect.
func (s *Sim) Prospect(id string) (Prospect, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.prospects[id]
	if !ok {
		return Prospect{}, false
	}
	return p.clone(), true
}

// SeedProspect stores p directly, as if created earlier, and returns its
// id (p.ID if set). For demo data and update tests.
func (s *Sim) SeedProspect(p Prospect) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.ID == "" {
		s.seq++
		p.ID = fmt.Sprintf("prospect_%d", s.seq)
	}
	if _, ok := s.created[p.ID]; !ok {
		s.created[p.ID] = s.now()
	}
	s.updated[p.ID] = s.now()
	if _, dup := s.prospects[p.ID]; !dup {
		s.prospectOrder = append(s.prospectOrder, p.ID)
	}
	cp := p.clone()
	s.prospects[p.ID] = &cp
	return p.ID
}

// Jobs returns every job in creation order.
func (s *Sim) Jobs() []Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Job, 0, len(s.jobOrder))
	for _, id := range s.jobOrder {
		out = append(out, s.jobs[id].snapshot())
	}
	return out
}

// Job returns one job.
func (s *Sim) Job(id string) (Job, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return Job{}, false
	}
	return j.snapshot(), true
}

func (j *Job) snapshot() Job {
	c := *j
	c.Errors = append([]string(nil), j.Errors...)
	c.body = body{}
	return c
}
