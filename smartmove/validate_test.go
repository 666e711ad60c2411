package smartmove

import (
	"errors"
	"strings"
	"testing"

	"github.com/leasegraph/leasegraph/smartmove/smartmovetest"
)

// orderCases break one rule each. Every case runs twice: through the client,
// which must refuse it locally and name the field, and as raw JSON straight
// to the simulator, which must answer 400 naming the same field.
var orderCases = []struct {
	name     string
	create   bool // application/create instead of /embedded
	ref      string
	mutate   func(*Order)
	field    string
	simAllow bool // a client-only rule: the simulator accepts the order
}{
	{name: "reference missing", ref: "-", field: "Customer.referenceId"},
	{name: "reference too long", ref: strings.Repeat("r", 101), field: "Customer.referenceId"},
	{name: "reference too long on create", create: true, ref: strings.Repeat("r", 101), field: "Customer.referenceId"},
	{name: "application missing", mutate: func(o *Order) { o.Application = nil }, field: "Application"},
	{name: "applicants missing", mutate: func(o *Order) { o.Application.Applicants = nil }, field: "Application.Applicants"},
	{name: "applicant empty", mutate: func(o *Order) { o.Application.Applicants[1] = "" }, field: "Application.Applicants[1]"},
	{name: "applicant duplicate", mutate: func(o *Order) { o.Application.Applicants[1] = "LISA.SIMPSON@example.com" }, field: "Application.Applicants[1]"},
	{name: "landlord pays missing", mutate: func(o *Order) { o.Application.LandlordPays = nil }, field: "Application.LandlordPays"},
	{name: "bankruptcy window 5", mutate: func(o *Order) { o.Application.DeclineForOpenBankruptcies, o.Application.OpenBankruptcyWindow = true, 5 }, field: "Application.openBankruptcyWindow"},
	{name: "bankruptcy window 121", mutate: func(o *Order) {
		o.Application.DeclineForOpenBankruptcies, o.Application.OpenBankruptcyWindow = true, 121
	}, field: "Application.openBankruptcyWindow"},
	{name: "bankruptcy window 0 on create", create: true, mutate: func(o *Order) { o.Application.DeclineForOpenBankruptcies = true }, field: "Application.openBankruptcyWindow"},
	{name: "product missing", mutate: func(o *Order) { o.Product = "" }, field: "Product"},
	{name: "product unknown", create: true, mutate: func(o *Order) { o.Product = "PackageCore" }, field: "Product"},
	{name: "property missing", mutate: func(o *Order) { o.Property = nil }, field: "Property"},
	{name: "landlord first name missing", mutate: func(o *Order) { o.Property.LandlordFirstName = "" }, field: "Property.LandlordFirstName"},
	{name: "landlord first name 51", mutate: func(o *Order) { o.Property.LandlordFirstName = strings.Repeat("é", 51) }, field: "Property.LandlordFirstName"},
	{name: "landlord last name 51", create: true, mutate: func(o *Order) { o.Property.LandlordLastName = strings.Repeat("x", 51) }, field: "Property.LandlordLastName"},
	{name: "landlord street missing", mutate: func(o *Order) { o.Property.LandlordStreetAddressLineOne = "" }, field: "Property.LandlordStreetAddressLineOne"},
	{name: "landlord street 101", mutate: func(o *Order) { o.Property.LandlordStreetAddressLineOne = strings.Repeat("x", 101) }, field: "Property.LandlordStreetAddressLineOne"},
	{name: "landlord street two 101", mutate: func(o *Order) { o.Property.LandlordStreetAddressLineTwo = strings.Repeat("x", 101) }, field: "Property.LandlordStreetAddressLineTwo"},
	{name: "landlord city missing", mutate: func(o *Order) { o.Property.LandlordCity = "" }, field: "Property.LandlordCity"},
	{name: "landlord city 101", mutate: func(o *Order) { o.Property.LandlordCity = strings.Repeat("x", 101) }, field: "Property.LandlordCity"},
	{name: "landlord state 3", mutate: func(o *Order) { o.Property.LandlordState = "NYC" }, field: "Property.LandlordState"},
	{name: "landlord zip 6", create: true, mutate: func(o *Order) { o.Property.LandlordZip = "123456" }, field: "Property.LandlordZip"},
	{name: "landlord phone missing", mutate: func(o *Order) { o.Property.LandlordPhoneNumber = "" }, field: "Property.LandlordPhoneNumber"},
	{name: "landlord phone 16", mutate: func(o *Order) { o.Property.LandlordPhoneNumber = strings.Repeat("5", 16) }, field: "Property.LandlordPhoneNumber"},
	{name: "landlord extension 7", mutate: func(o *Order) { o.Property.LandlordPhoneExtension = "1234567" }, field: "Property.LandlordPhoneExtension"},
	{name: "landlord email missing", mutate: func(o *Order) { o.Property.LandlordEmail = "" }, field: "Property.LandlordEmail"},
	{name: "landlord email 101", mutate: func(o *Order) { o.Property.LandlordEmail = strings.Repeat("x", 89) + "@example.com" }, field: "Property.LandlordEmail"},
	{name: "unit missing", mutate: func(o *Order) { o.Property.UnitNumber = "" }, field: "Property.UnitNumber"},
	{name: "unit 51", mutate: func(o *Order) { o.Property.UnitNumber = strings.Repeat("4", 51) }, field: "Property.UnitNumber"},
	{name: "street missing", mutate: func(o *Order) { o.Property.Street = "" }, field: "Property.Street"},
	{name: "street 101", create: true, mutate: func(o *Order) { o.Property.Street = strings.Repeat("x", 101) }, field: "Property.Street"},
	{name: "property name missing", mutate: func(o *Order) { o.Property.PropertyName = "" }, field: "Property.PropertyName"},
	{name: "property name 51", mutate: func(o *Order) { o.Property.PropertyName = strings.Repeat("x", 51) }, field: "Property.PropertyName"},
	{name: "city missing", mutate: func(o *Order) { o.Property.City = "" }, field: "Property.City"},
	{name: "city 51", mutate: func(o *Order) { o.Property.City = strings.Repeat("x", 51) }, field: "Property.City"},
	{name: "state missing", mutate: func(o *Order) { o.Property.State = "" }, field: "Property.State"},
	{name: "state 3", create: true, mutate: func(o *Order) { o.Property.State = "New" }, field: "Property.State"},
	{name: "state not a USPS code", mutate: func(o *Order) { o.Property.State = "ZZ" }, field: "Property.State"},
	{name: "landlord state lower case", mutate: func(o *Order) { o.Property.LandlordState = "ny" }, field: "Property.LandlordState"},
	{name: "zip missing", mutate: func(o *Order) { o.Property.Zip = "" }, field: "Property.Zip"},
	{name: "zip 6", mutate: func(o *Order) { o.Property.Zip = "12345-" }, field: "Property.Zip"},
	{name: "classification missing", mutate: func(o *Order) { o.Property.Classification = "" }, field: "Property.Classification"},
	{name: "classification unknown", create: true, mutate: func(o *Order) { o.Property.Classification = "Luxury" }, field: "Property.Classification"},
	{name: "fcra not accepted", mutate: func(o *Order) { o.Property.IsFcraAgreementAccepted = false }, field: "Property.IsFcraAgreementAccepted"},
	{name: "card missing when landlord pays", mutate: func(o *Order) { o.CreditCard = nil }, field: "CreditCard"},
	{name: "card first name missing", mutate: func(o *Order) { o.CreditCard.FirstName = "" }, field: "CreditCard.firstName"},
	{name: "card first name 51", mutate: func(o *Order) { o.CreditCard.FirstName = strings.Repeat("x", 51) }, field: "CreditCard.firstName"},
	{name: "card last name missing", mutate: func(o *Order) { o.CreditCard.LastName = "" }, field: "CreditCard.lastName"},
	{name: "card type missing", mutate: func(o *Order) { o.CreditCard.CardType = "" }, field: "CreditCard.cardType"},
	{name: "card type unknown", mutate: func(o *Order) { o.CreditCard.CardType = "diners" }, field: "CreditCard.cardType"},
	{name: "card number missing", mutate: func(o *Order) { o.CreditCard.CardNumber = "" }, field: "CreditCard.cardNumber"},
	{name: "card number 17", mutate: func(o *Order) { o.CreditCard.CardNumber = "54195435784158801" }, field: "CreditCard.cardNumber"},
	{name: "card number letters", mutate: func(o *Order) { o.CreditCard.CardNumber = "5419-5435-7841" }, field: "CreditCard.cardNumber"},
	{name: "card security missing", mutate: func(o *Order) { o.CreditCard.CardSecurity = "" }, field: "CreditCard.cardSecurity"},
	{name: "card security 6", mutate: func(o *Order) { o.CreditCard.CardSecurity = "123456" }, field: "CreditCard.cardSecurity"},
	{name: "expire month missing", mutate: func(o *Order) { o.CreditCard.ExpireMonth = "" }, field: "CreditCard.expireMonth"},
	{name: "expire month 13", mutate: func(o *Order) { o.CreditCard.ExpireMonth = "13" }, field: "CreditCard.expireMonth"},
	{name: "expire month 3 chars", mutate: func(o *Order) { o.CreditCard.ExpireMonth = "009" }, field: "CreditCard.expireMonth"},
	{name: "expire year missing", mutate: func(o *Order) { o.CreditCard.ExpireYear = "" }, field: "CreditCard.expireYear"},
	{name: "expire year 2 digits", mutate: func(o *Order) { o.CreditCard.ExpireYear = "30" }, field: "CreditCard.expireYear"},
	{name: "expire year 5 digits", mutate: func(o *Order) { o.CreditCard.ExpireYear = "20300" }, field: "CreditCard.expireYear"},
	{name: "postback uri missing", mutate: func(o *Order) { o.RequestParameters = &RequestParameters{ReferenceID: "9"} }, field: "RequestParameters.postbackUri"},
	{name: "postback uri relative", create: true, mutate: func(o *Order) { o.RequestParameters = &RequestParameters{PostbackURI: "/hooks"} }, field: "RequestParameters.postbackUri"},
	{name: "card on create", create: true, mutate: func(o *Order) { o.CreditCard = validOrder().CreditCard }, field: "CreditCard", simAllow: true},
}

func TestOrderValidation(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	for _, tc := range orderCases {
		t.Run(tc.name, func(t *testing.T) {
			o := validOrder()
			if tc.create {
				o.CreditCard = nil // /create takes no card
			}
			if tc.mutate != nil {
				tc.mutate(&o)
			}
			ref := "cust-1"
			if tc.ref != "" {
				ref = strings.TrimPrefix(tc.ref, "-")
			}
			before := len(e.sim.Calls())
			var err error
			endpoint := "application/create/embedded"
			if tc.create {
				endpoint = "application/create"
				_, err = e.c.CreateApplication(ctx(t), ref, o)
			} else {
				_, err = e.c.CreateEmbeddedApplication(ctx(t), ref, o)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field || !errors.Is(err, ErrInvalid) {
				t.Fatalf("client: %v, want a validation error on %s", err, tc.field)
			}
			if n := len(e.sim.Calls()); n != before {
				t.Fatalf("the client sent %d requests for an invalid order", n-before)
			}

			status, msg := postRaw(t, e.srv.URL, endpoint, orderRequest{Customer: Customer{ReferenceID: ref}, Order: o})
			if tc.simAllow {
				if status != 200 {
					t.Fatalf("simulator: %d %q, want 200", status, msg)
				}
				return
			}
			if field, _, _ := strings.Cut(msg, ": "); status != 400 || field != tc.field {
				t.Fatalf("simulator: %d %q, want 400 on %s", status, msg, tc.field)
			}
		})
	}
}

// TestValidOrdersPass pins the boundaries: each value is the largest or
// smallest the spec allows.
func TestValidOrdersPass(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	for name, mutate := range map[string]func(*Order){
		"as given":             func(*Order) {},
		"tenants pay, no card": func(o *Order) { *o = tenantsPay() },
		"window 6":             func(o *Order) { o.Application.DeclineForOpenBankruptcies, o.Application.OpenBankruptcyWindow = true, 6 },
		"window 120": func(o *Order) {
			o.Application.DeclineForOpenBankruptcies, o.Application.OpenBankruptcyWindow = true, 120
		},
		"window ignored": func(o *Order) { o.Application.OpenBankruptcyWindow = 500 },
		"limits exactly": func(o *Order) {
			o.Property.LandlordFirstName = strings.Repeat("é", 50)
			o.Property.LandlordPhoneNumber = strings.Repeat("5", 15)
		},
		"amex 15 digits": func(o *Order) {
			o.CreditCard.CardType, o.CreditCard.CardNumber, o.CreditCard.CardSecurity = CardAmex, "378282246310005", "1234"
		},
		"subsidized":            func(o *Order) { o.Property.Classification = ClassificationSubsidized },
		"postback parameters":   func(o *Order) { o.RequestParameters = &RequestParameters{PostbackURI: "https://example.com/hook"} },
		"reference of 100":      func(o *Order) {},
		"month 12, discover":    func(o *Order) { o.CreditCard.ExpireMonth, o.CreditCard.CardType = "12", CardDiscover },
		"extension of 6, visa":  func(o *Order) { o.Property.LandlordPhoneExtension, o.CreditCard.CardType = "123456", CardVisa },
		"line two of 100 chars": func(o *Order) { o.Property.LandlordStreetAddressLineTwo = strings.Repeat("x", 100) },
	} {
		o := validOrder()
		mutate(&o)
		ref := "cust-1"
		if name == "reference of 100" {
			ref = strings.Repeat("r", 100)
		}
		if _, err := e.c.CreateEmbeddedApplication(ctx(t), ref, o); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// /create needs nothing but the customer.
	if _, err := e.c.CreateApplication(ctx(t), "cust-1", Order{}); err != nil {
		t.Errorf("empty create: %v", err)
	}
}

func TestCallValidation(t *testing.T) {
	e := newEnv(t, smartmovetest.Options{})
	long := strings.Repeat("r", 101)
	for _, tc := range []struct {
		name     string
		call     func() error
		endpoint string
		raw      any
		field    string
	}{
		{"details without id", func() error { _, err := e.c.ApplicationDetails(ctx(t), "c", 0); return err },
			"application/details", map[string]any{"referenceId": "c"}, "applicationId"},
		{"details negative id", func() error { _, err := e.c.ApplicationDetails(ctx(t), "c", -4); return err },
			"application/details", map[string]any{"applicationId": -4, "referenceId": "c"}, "applicationId"},
		{"details without reference", func() error { _, err := e.c.ApplicationDetails(ctx(t), "", 5); return err },
			"application/details", map[string]any{"applicationId": 5}, "referenceId"},
		{"cancel long reference", func() error { return e.c.CancelApplication(ctx(t), long, 5) },
			"application/cancel", map[string]any{"applicationId": 5, "referenceId": long}, "referenceId"},
		{"report url without id", func() error { _, err := e.c.ReportURL(ctx(t), "c", 0); return err },
			"application/reportUrl", map[string]any{"referenceId": "c"}, "applicationId"},
		{"report status without reference", func() error { _, err := e.c.ReportStatus(ctx(t), "", 5); return err },
			"application/report/status", map[string]any{"applicationId": 5, "referenceId": ""}, "referenceId"},
		{"add without email", func() error { return e.c.AddApplicant(ctx(t), "c", 5, "") },
			"applicant/add", map[string]any{"applicationId": 5, "referenceId": "c"}, "email"},
		{"delete without email", func() error { return e.c.DeleteApplicant(ctx(t), "c", 5, "") },
			"applicant/delete", map[string]any{"applicationId": 5, "referenceId": "c", "email": ""}, "email"},
		{"delete without id", func() error { return e.c.DeleteApplicant(ctx(t), "c", 0, "a@b.c") },
			"applicant/delete", map[string]any{"referenceId": "c", "email": "a@b.c"}, "applicationId"},
		{"list without reference", func() error { _, err := e.c.Applications(ctx(t), "", 10, 0); return err },
			"application/all", map[string]any{"limit": 10}, "referenceId"},
		{"list negative limit", func() error { _, err := e.c.Applications(ctx(t), "c", -1, 0); return err },
			"application/all", map[string]any{"referenceId": "c", "limit": -1}, "limit"},
		{"list negative page", func() error { _, err := e.c.Applications(ctx(t), "c", 10, -1); return err },
			"application/all", map[string]any{"referenceId": "c", "page": -1}, "page"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.sim.Calls())
			var ve *ValidationError
			if err := tc.call(); !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("client: %v, want a validation error on %s", err, tc.field)
			}
			if n := len(e.sim.Calls()); n != before {
				t.Fatalf("the client sent %d requests", n-before)
			}
			status, msg := postRaw(t, e.srv.URL, tc.endpoint, tc.raw)
			if field, _, _ := strings.Cut(msg, ": "); status != 400 || field != tc.field {
				t.Fatalf("simulator: %d %q, want 400 on %s", status, msg, tc.field)
			}
		})
	}
}

func TestValidationErrorText(t *testing.T) {
	o := validOrder()
	o.CreditCard.CardNumber = "5419543578415880999"
	_, err := (&Client{}).CreateEmbeddedApplication(t.Context(), "cust-1", o)
	want := "smartmove: invalid CreditCard.cardNumber: longer than 16 characters"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if Retryable(err) {
		t.Fatal("a validation error is retryable")
	}
}
