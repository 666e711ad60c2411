// Package prospects stores prospects and queues their delivery to Propexo.
// A prospect is written locally first; when its client has a Propexo
// integration, a durable job delivering it is enqueued in the same
// transaction, so the write and its delivery commit together or not at all.
package prospects

import (
	"strings"
	"time"
	"unicode"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/types"
	"github.com/leasegraph/leasegraph/types/phone"
)

// Input is a prospect's fields as the GraphQL inputs carry them; nil means
// "not given" (on update: unchanged).
type Input struct {
	PropertyID             *int
	FirstName              *string
	MiddleName             *string
	LastName               *string
	Email1                 *string
	Phone1                 *string
	Phone2                 *string
	MoveInDate             *time.Time
	RentMinimumInCents     *int
	RentMaximumInCents     *int
	Notes                  *string
	Pets                   []string
	Address1               *string
	Address2               *string
	City                   *string
	State                  *string
	Zip                    *string
	Country                *string
	NumberOfOccupants      *int
	LeaseTermInMonths      *int
	DesiredNumBedrooms     []int
	Subscribe              *bool
	FirstContactType       *string
	PreferredContactMethod *string
	ProspectSource         *string
	CommunityID            *string
	AttributionID          *string
	AgentID                *string
	PropexoLeaseID         *string
}

// validate checks the input with Propexo's own rules, so that a stored
// prospect can always be delivered, and names the GraphQL field at fault.
func (in *Input) validate(create bool) error {
	for _, p := range []struct {
		field string
		value **string
	}{{"input.phone1", &in.Phone1}, {"input.phone2", &in.Phone2}} {
		if *p.value != nil && strings.TrimSpace(**p.value) != "" {
			// Stored in E.164, so registration finds the prospect by any
			// spelling of the number.
			e164, ok := phone.E164(**p.value)
			if !ok {
				return apperr.BadInput(p.field, "%s is not a phone number (include the area code)", p.field[len("input."):])
			}
			*p.value = &e164
		}
	}
	var err error
	if create {
		err = in.createRequest("integration").Validate()
	} else {
		err = in.updateRequest("lease").Validate()
	}
	if ve, ok := err.(*propexo.ValidationError); ok && len(ve.Fields) > 0 {
		f := ve.Fields[0]
		return apperr.BadInput("input."+graphQLName(f.Field), "%s", f.Message)
	}
	return err
}

// graphQLName turns Propexo's snake_case field into the input's camelCase.
func graphQLName(snake string) string {
	var b strings.Builder
	up := false
	for _, r := range snake {
		if r == '_' {
			up = true
			continue
		}
		if up && unicode.IsLetter(r) {
			r = unicode.ToUpper(r)
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

func str(s *string) string {
	if s == nil {
		return ""
	}
	return strings.TrimSpace(*s)
}

func date(t *time.Time) string {
	if t == nil {
		return ""
	}
	return types.FormatDate(*t)
}

func (in *Input) createRequest(integrationID string) *propexo.CreateProspectRequest {
	return &propexo.CreateProspectRequest{
		IntegrationID: integrationID, CommunityID: str(in.CommunityID),
		Email1: str(in.Email1), Phone1: str(in.Phone1), Phone2: str(in.Phone2),
		FirstName: str(in.FirstName), MiddleName: str(in.MiddleName), LastName: str(in.LastName),
		MoveInDate: date(in.MoveInDate), RentMinimumInCents: in.RentMinimumInCents, RentMaximumInCents: in.RentMaximumInCents,
		Notes: str(in.Notes), Pets: in.Pets, AttributionID: str(in.AttributionID), AgentID: str(in.AgentID),
		Address1: str(in.Address1), Address2: str(in.Address2), City: str(in.City), State: str(in.State),
		Zip: str(in.Zip), Country: str(in.Country), NumberOfOccupants: in.NumberOfOccupants,
		LeaseTermInMonths: in.LeaseTermInMonths, DesiredNumBedrooms: in.DesiredNumBedrooms, Subscribe: in.Subscribe,
		FirstContactType: str(in.FirstContactType), PreferredContactMethod: str(in.PreferredContactMethod),
		ProspectSource: str(in.ProspectSource),
	}
}

func (in *Input) updateRequest(leaseID string) *propexo.UpdateProspectRequest {
	c := in.createRequest("")
	return &propexo.UpdateProspectRequest{
		LeaseID: leaseID, Email1: c.Email1, Phone1: c.Phone1, Phone2: c.Phone2,
		FirstName: c.FirstName, LastName: c.LastName, MoveInDate: c.MoveInDate,
		RentMinimumInCents: c.RentMinimumInCents, RentMaximumInCents: c.RentMaximumInCents,
		Notes: c.Notes, Pets: c.Pets, AgentID: c.AgentID, NumberOfOccupants: c.NumberOfOccupants,
		LeaseTermInMonths: c.LeaseTermInMonths, DesiredNumBedrooms: c.DesiredNumBedrooms,
		Address1: c.Address1, Address2: c.Address2, City: c.City, State: c.State, Zip: c.Zip,
		Country: c.Country, PreferredContactMethod: c.PreferredContactMethod, Subscribe: c.Subscribe,
		ProspectSource: c.ProspectSource,
	}
}

// fromProspect is the stored prospect as an input, for delivery.
func fromProspect(p *ent.Prospect) *Input {
	s := func(v string) *string { return &v }
	return &Input{
		FirstName: s(p.FirstName), MiddleName: s(p.MiddleName), LastName: s(p.LastName),
		Email1: s(p.Email1), Phone1: s(p.Phone1), Phone2: s(p.Phone2), MoveInDate: p.MoveInDate,
		RentMinimumInCents: p.RentMinimumInCents, RentMaximumInCents: p.RentMaximumInCents,
		Notes: s(p.Notes), Pets: p.Pets, Address1: s(p.Address1), Address2: s(p.Address2),
		City: s(p.City), State: s(p.State), Zip: s(p.Zip), Country: s(p.Country),
		NumberOfOccupants: p.NumberOfOccupants, LeaseTermInMonths: p.LeaseTermInMonths,
		DesiredNumBedrooms: p.DesiredNumBedrooms, Subscribe: p.Subscribe,
		FirstContactType: s(p.FirstContactType), PreferredContactMethod: s(p.PreferredContactMethod),
		ProspectSource: s(p.ProspectSource), CommunityID: s(p.CommunityID),
		AttributionID: s(p.AttributionID), AgentID: s(p.AgentID),
	}
}

// CreateRequest is the Propexo create body for a stored prospect.
func CreateRequest(p *ent.Prospect, integrationID string) *propexo.CreateProspectRequest {
	return fromProspect(p).createRequest(integrationID)
}

// UpdateRequest is the Propexo update body for a stored prospect: its
// current fields, and only the notes this update added (Propexo appends).
func UpdateRequest(p *ent.Prospect, notesToAppend string) *propexo.UpdateProspectRequest {
	in := fromProspect(p)
	in.Notes = &notesToAppend
	leaseID := p.PropexoLeaseID
	if leaseID == "" {
		leaseID = p.PropexoProspectID
	}
	return in.updateRequest(leaseID)
}
