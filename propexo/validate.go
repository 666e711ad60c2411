package propexo

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The partner's field limits (RentCafe's, applied by the generic endpoint),
// declared here once: ent/schema/prospect.go stores prospects within them.
const (
	MaxAddressLen = 40 // address_1, address_2
	MaxCityLen    = 30
	MaxStateLen   = 4
	MaxZipLen     = 12
	MaxCountryLen = 2
	// MaxCreateLeaseTerm bounds lease_term_in_months on create. Propexo's
	// update has no maximum, but a stored prospect keeps this one (it may
	// yet be sent through create).
	MaxCreateLeaseTerm = 18
)

// FieldError is one rejected field.
type FieldError struct {
	Field   string // the JSON name, e.g. "address_1"
	Message string
}

// ValidationError is a request the client refused to send. Fields lists
// every violation, in the order of the spec's fields.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "propexo: invalid request: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalidRequest) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidRequest }

// Field returns the JSON name of the first rejected field.
func (e *ValidationError) Field() string {
	if len(e.Fields) == 0 {
		return ""
	}
	return e.Fields[0].Field
}

// checker accumulates violations so the caller sees all of them at once.
type checker struct{ errs []FieldError }

func (c *checker) fail(field, format string, args ...any) {
	c.errs = append(c.errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) required(field, v string) {
	if strings.TrimSpace(v) == "" {
		c.fail(field, "is required")
	}
}

// maxLen counts characters, not bytes: "<=40 characters" in the spec, and a
// street name with accents must not be rejected early.
func (c *checker) maxLen(field, v string, n int) {
	if l := utf8.RuneCountInString(v); l > n {
		c.fail(field, "must be at most %d characters, got %d", n, l)
	}
}

func (c *checker) min(field string, v *int, lo int) {
	if v != nil && *v < lo {
		c.fail(field, "must be at least %d, got %d", lo, *v)
	}
}

func (c *checker) max(field string, v *int, hi int) {
	if v != nil && *v > hi {
		c.fail(field, "must be at most %d, got %d", hi, *v)
	}
}

func (c *checker) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return &ValidationError{Fields: c.errs}
}

// address holds the fields both endpoints limit the same way.
type address struct{ a1, a2, city, state, zip, country string }

func (c *checker) address(a address) {
	c.maxLen("address_1", a.a1, MaxAddressLen)
	c.maxLen("address_2", a.a2, MaxAddressLen)
	c.maxLen("city", a.city, MaxCityLen)
	c.maxLen("state", a.state, MaxStateLen)
	c.maxLen("zip", a.zip, MaxZipLen)
	c.maxLen("country", a.country, MaxCountryLen)
}

// Validate applies the create spec's rules. It is called by CreateProspect;
// it is exported so a form can reject input before queueing a write.
func (r *CreateProspectRequest) Validate() error {
	var c checker
	c.required("integration_id", r.IntegrationID)
	c.min("rent_minimum_in_cents", r.RentMinimumInCents, 1)
	c.min("rent_maximum_in_cents", r.RentMaximumInCents, 1)
	c.address(address{r.Address1, r.Address2, r.City, r.State, r.Zip, r.Country})
	c.min("lease_term_in_months", r.LeaseTermInMonths, 1)
	c.max("lease_term_in_months", r.LeaseTermInMonths, MaxCreateLeaseTerm)
	return c.err()
}

// Validate applies the update spec's rules (lease term has no maximum here).
func (r *UpdateProspectRequest) Validate() error {
	var c checker
	c.required("lease_id", r.LeaseID)
	c.min("rent_minimum_in_cents", r.RentMinimumInCents, 1)
	c.min("rent_maximum_in_cents", r.RentMaximumInCents, 1)
	c.min("lease_term_in_months", r.LeaseTermInMonths, 1)
	c.address(address{r.Address1, r.Address2, r.City, r.State, r.Zip, r.Country})
	return c.err()
}
