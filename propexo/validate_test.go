package propexo

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/propexo/propexotest"
)

type vcase struct {
	name string
	mod  func(c *CreateProspectRequest, u *UpdateProspectRequest)
	want []FieldError // nil: valid
}

func fe(field, msg string) []FieldError { return []FieldError{{Field: field, Message: msg}} }

var rep = strings.Repeat

// sharedRules are the limits both endpoints apply, as boundary pairs.
var sharedRules = []vcase{
	{"address_1 40", func(c *CreateProspectRequest, u *UpdateProspectRequest) {
		c.Address1, u.Address1 = rep("x", 40), rep("x", 40)
	}, nil},
	{"address_1 41", func(c *CreateProspectRequest, u *UpdateProspectRequest) {
		c.Address1, u.Address1 = rep("x", 41), rep("x", 41)
	},
		fe("address_1", "must be at most 40 characters, got 41")},
	{"address_1 40 accented", func(c *CreateProspectRequest, u *UpdateProspectRequest) {
		c.Address1, u.Address1 = rep("ñ", 40), rep("ñ", 40)
	}, nil},
	{"address_2 41", func(c *CreateProspectRequest, u *UpdateProspectRequest) {
		c.Address2, u.Address2 = rep("x", 41), rep("x", 41)
	},
		fe("address_2", "must be at most 40 characters, got 41")},
	{"city 30", func(c *CreateProspectRequest, u *UpdateProspectRequest) { c.City, u.City = rep("x", 30), rep("x", 30) }, nil},
	{"city 31", func(c *CreateProspectRequest, u *UpdateProspectRequest) { c.City, u.City = rep("x", 31), rep("x", 31) },
		fe("city", "must be at most 30 characters, got 31")},
	{"state 4", func(c *CreateProspectRequest, u *UpdateProspectRequest) { c.State, u.State = "NSW1", "NSW1" }, nil},
	{"state 5", func(c *CreateProspectRequest, u *UpdateProspectRequest) { c.State, u.State = "NSW12", "NSW12" },
		fe("state", "must be at most 4 characters, got 5")},
	{"zip 12", func(c *CreateProspectRequest, u *UpdateProspectRequest) { c.Zip, u.Zip = rep("9", 12), rep("9", 12) }, nil},
	{"zip 13", func(c *CreateProspectRequest, u *UpdateProspectRequest) { c.Zip, u.Zip = rep("9", 13), rep("9", 13) },
		fe("zip", "must be at most 12 characters, got 13")},
	{"country 2", func(c *CreateProspectRequest, u *UpdateProspectRequest) { c.Country, u.Country = "US", "US" }, nil},
	{"country 3", func(c *CreateProspectRequest, u *UpdateProspectRequest) { c.Country, u.Country = "USA", "USA" },
		fe("country", "must be at most 2 characters, got 3")},
	{"rent_minimum 1", func(c *CreateProspectRequest, u *UpdateProspectRequest) {
		c.RentMinimumInCents, u.RentMinimumInCents = Int(1), Int(1)
	}, nil},
	{"rent_minimum 0", func(c *CreateProspectRequest, u *UpdateProspectRequest) {
		c.RentMinimumInCents, u.RentMinimumInCents = Int(0), Int(0)
	},
		fe("rent_minimum_in_cents", "must be at least 1, got 0")},
	{"rent_maximum 1", func(c *CreateProspectRequest, u *UpdateProspectRequest) {
		c.RentMaximumInCents, u.RentMaximumInCents = Int(1), Int(1)
	}, nil},
	{"rent_maximum -1", func(c *CreateProspectRequest, u *UpdateProspectRequest) {
		c.RentMaximumInCents, u.RentMaximumInCents = Int(-1), Int(-1)
	},
		fe("rent_maximum_in_cents", "must be at least 1, got -1")},
	{"lease_term 1", func(c *CreateProspectRequest, u *UpdateProspectRequest) {
		c.LeaseTermInMonths, u.LeaseTermInMonths = Int(1), Int(1)
	}, nil},
	{"lease_term 0", func(c *CreateProspectRequest, u *UpdateProspectRequest) {
		c.LeaseTermInMonths, u.LeaseTermInMonths = Int(0), Int(0)
	},
		fe("lease_term_in_months", "must be at least 1, got 0")},
	{"subscribe false", func(c *CreateProspectRequest, u *UpdateProspectRequest) {
		c.Subscribe, u.Subscribe = Bool(false), Bool(false)
	}, nil},
	{"all violations at once", func(c *CreateProspectRequest, u *UpdateProspectRequest) {
		c.City, u.City = rep("x", 31), rep("x", 31)
		c.RentMinimumInCents, u.RentMinimumInCents = Int(0), Int(0)
	}, []FieldError{{"rent_minimum_in_cents", "must be at least 1, got 0"}, {"city", "must be at most 30 characters, got 31"}}},
}

func TestCreateValidation(t *testing.T) {
	cases := append(sharedRules,
		vcase{"integration_id missing", func(c *CreateProspectRequest, _ *UpdateProspectRequest) { c.IntegrationID = "" }, fe("integration_id", "is required")},
		vcase{"integration_id blank", func(c *CreateProspectRequest, _ *UpdateProspectRequest) { c.IntegrationID = " \t" }, fe("integration_id", "is required")},
		vcase{"lease_term 18", func(c *CreateProspectRequest, _ *UpdateProspectRequest) { c.LeaseTermInMonths = Int(18) }, nil},
		vcase{"lease_term 19", func(c *CreateProspectRequest, _ *UpdateProspectRequest) { c.LeaseTermInMonths = Int(19) },
			fe("lease_term_in_months", "must be at most 18, got 19")},
	)
	e := newEnv(t, propexotest.Options{RateLimit: 1000}, Config{})
	sent := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := &CreateProspectRequest{IntegrationID: "int_1"}
			tc.mod(req, &UpdateProspectRequest{})
			_, err := e.client.CreateProspect(context.Background(), req)
			checkValidation(t, err, tc.want)
			if tc.want == nil {
				sent++ // the simulator agrees the request is valid
			}
		})
	}
	if got := e.sim.Stats().Requests; got != sent {
		t.Errorf("simulator saw %d requests, want only the %d valid ones", got, sent)
	}
}

func TestUpdateValidation(t *testing.T) {
	cases := append(sharedRules,
		vcase{"lease_id missing", func(_ *CreateProspectRequest, u *UpdateProspectRequest) { u.LeaseID = "" }, fe("lease_id", "is required")},
		vcase{"lease_term 19 has no maximum", func(_ *CreateProspectRequest, u *UpdateProspectRequest) { u.LeaseTermInMonths = Int(19) }, nil},
	)
	e := newEnv(t, propexotest.Options{RateLimit: 1000}, Config{})
	id := e.sim.SeedProspect(propexotest.Prospect{IntegrationID: "int_1"})
	sent := 0
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := &UpdateProspectRequest{LeaseID: "lease_1"}
			tc.mod(&CreateProspectRequest{}, req)
			_, err := e.client.UpdateProspect(context.Background(), id, req)
			checkValidation(t, err, tc.want)
			if tc.want == nil {
				sent++
			}
		})
	}
	if got := e.sim.Stats().Requests; got != sent {
		t.Errorf("simulator saw %d requests, want %d", got, sent)
	}
}

func TestRequiredIDs(t *testing.T) {
	e := newEnv(t, propexotest.Options{}, Config{})
	ctx := context.Background()
	_, err := e.client.UpdateProspect(ctx, " ", &UpdateProspectRequest{})
	checkValidation(t, err, []FieldError{{"prospect_id", "is required"}, {"lease_id", "is required"}})
	_, err = e.client.UpdateProspect(ctx, "", &UpdateProspectRequest{LeaseID: "l"})
	checkValidation(t, err, fe("prospect_id", "is required"))
	_, err = e.client.WriteStatus(ctx, "")
	checkValidation(t, err, fe("root_job_id", "is required"))
	_, err = e.client.RetryWrite(ctx, "")
	checkValidation(t, err, fe("root_job_id", "is required"))
	_, err = e.client.GetLead(ctx, " ")
	checkValidation(t, err, fe("id", "is required"))
	if n := e.sim.Stats().Requests; n != 0 {
		t.Errorf("sent %d requests", n)
	}
}

func checkValidation(t *testing.T, err error, want []FieldError) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err %v (%T), want *ValidationError", err, err)
	}
	if !reflect.DeepEqual(ve.Fields, want) {
		t.Fatalf("fields\n got %+v\nwant %+v", ve.Fields, want)
	}
	if ve.Field() != want[0].Field || !errors.Is(err, ErrInvalidRequest) || Retryable(err) || MaybeApplied(err) {
		t.Errorf("classification of %v", err)
	}
}

func TestValidationErrorMessage(t *testing.T) {
	err := (&CreateProspectRequest{Zip: rep("1", 13)}).Validate()
	want := "propexo: invalid request: integration_id: is required; zip: must be at most 12 characters, got 13"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
}
