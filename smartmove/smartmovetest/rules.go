package smartmovetest

import (
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/leasegraph/leasegraph/types/usps"
)

// rules collects the first broken rule as "Field: reason", the shape every
// 400 from the Server carries, so a test can tell which field failed.
type rules struct{ msg string }

func (c *rules) fail(field, reason string) {
	if c.msg == "" {
		c.msg = field + ": " + reason
	}
}

func (c *rules) text(field, v string, max int, required bool) {
	if required && v == "" {
		c.fail(field, "is required")
	}
	if utf8.RuneCountInString(v) > max {
		c.fail(field, "must be at most "+strconv.Itoa(max)+" characters")
	}
}

func (c *rules) digits(field, v string) {
	if strings.Trim(v, "0123456789") != "" {
		c.fail(field, "must be digits only")
	}
}

// reference: "referenceId ... string (100) Required" (docs/partners/smartmove.md#customer-reference;
// the calls about one application and all: docs/partners/smartmove.md#endpoints).
func (c *rules) stateCode(field, v string) {
	if v != "" && !usps.IsCode(v) {
		c.fail(field, "must be a 2-letter USPS state abbreviation")
	}
}

func (c *rules) reference(field string, v *looseString) {
	c.text(field, v.value(), 100, true)
}

func (c *rules) oneOf(field, v string, required bool, allowed ...string) {
	if v == "" {
		if required {
			c.fail(field, "is required")
		}
		return
	}
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.fail(field, "must be one of "+strings.Join(allowed, ", "))
}

// checkOrder applies the OrderRequest rules; embedded switches on the
// "Required if using /application/create/embedded" clauses.
func checkOrder(o *orderIn, embedded bool) string {
	var c rules
	// Customer is required on both (docs/partners/smartmove.md#ordering-by-link, #embedded-order).
	if o.Customer == nil {
		c.fail("Customer", "is required")
	} else {
		c.reference("Customer.referenceId", o.Customer.ReferenceID)
	}
	checkApplication(&c, o.Application, embedded)
	product := ""
	if o.Product != nil {
		product = *o.Product
	}
	// Optional for create, required for embedded (see
	// docs/partners/smartmove.md#ordering-by-link, #embedded-order); one value.
	c.oneOf("Product", product, embedded, "PackageCorePlusEviction")
	checkProperty(&c, o.Property, embedded)
	// "Required if LandlordPays is true" (docs/partners/smartmove.md#embedded-order); create's model
	// has no CreditCard (docs/partners/smartmove.md#ordering-by-link), so it is not read there.
	if embedded {
		landlordPays := o.Application != nil && o.Application.LandlordPays != nil && *o.Application.LandlordPays
		switch {
		case o.CreditCard == nil && landlordPays:
			c.fail("CreditCard", "is required when LandlordPays is true")
		case o.CreditCard != nil:
			checkCard(&c, o.CreditCard)
		}
	}
	// "postbackUri is required" once RequestParameters is sent
	// (docs/partners/smartmove.md#request-parameters), and it is a URI to POST to.
	if p := o.RequestParameters; p != nil {
		u, err := url.Parse(p.PostbackURI)
		switch {
		case p.PostbackURI == "":
			c.fail("RequestParameters.postbackUri", "is required")
		case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
			c.fail("RequestParameters.postbackUri", "must be an absolute http(s) URL")
		}
	}
	return c.msg
}

// checkApplication: the Application model (docs/partners/smartmove.md#application-model).
func checkApplication(c *rules, a *applicationIn, embedded bool) {
	if a == nil {
		if embedded {
			c.fail("Application", "is required")
		}
		return
	}
	if embedded && len(a.Applicants) == 0 {
		c.fail("Application.Applicants", "is required")
	}
	seen := map[string]bool{}
	for i, e := range a.Applicants {
		field := "Application.Applicants[" + strconv.Itoa(i) + "]"
		key := strings.ToLower(e)
		switch {
		case e == "":
			c.fail(field, "is required")
		case !isEmail(e):
			// "An array of tenant email addresses" (docs/partners/smartmove.md#application-model).
			c.fail(field, "must be an email address")
		case seen[key]:
			c.fail(field, "is a duplicate")
		}
		seen[key] = true
	}
	if embedded && a.LandlordPays == nil {
		c.fail("Application.LandlordPays", "is required")
	}
	if embedded && a.DeclineForOpenBankruptcies == nil {
		c.fail("Application.declineForOpenBankruptcies", "is required")
	}
	if a.DeclineForOpenBankruptcies != nil && *a.DeclineForOpenBankruptcies {
		if w := a.OpenBankruptcyWindow; w == nil || *w < 6 || *w > 120 {
			c.fail("Application.openBankruptcyWindow", "must be between 6 and 120")
		}
	}
}

// checkProperty: the Property model, lengths as string(n) and the embedded
// requirements, Classification's two values
// (docs/partners/smartmove.md#property-model).
func checkProperty(c *rules, p *propertyIn, embedded bool) {
	if p == nil {
		if embedded {
			c.fail("Property", "is required")
		}
		return
	}
	req := embedded
	c.text("Property.LandlordFirstName", p.LandlordFirstName, 50, req)
	c.text("Property.LandlordLastName", p.LandlordLastName, 50, req)
	c.text("Property.LandlordStreetAddressLineOne", p.LandlordStreetAddressLineOne, 100, req)
	c.text("Property.LandlordStreetAddressLineTwo", p.LandlordStreetAddressLineTwo, 100, false)
	c.text("Property.LandlordCity", p.LandlordCity, 100, req)
	c.text("Property.LandlordState", p.LandlordState, 2, req)
	c.text("Property.LandlordZip", p.LandlordZip, 5, req)
	c.text("Property.LandlordPhoneNumber", p.LandlordPhoneNumber, 15, req)
	c.text("Property.LandlordPhoneExtension", p.LandlordPhoneExtension, 6, false)
	c.text("Property.LandlordEmail", p.LandlordEmail, 100, req)
	c.text("Property.UnitNumber", p.UnitNumber, 50, req)
	c.text("Property.Street", p.Street, 100, req)
	c.text("Property.PropertyName", p.PropertyName, 50, req)
	c.text("Property.City", p.City, 50, req)
	c.text("Property.State", p.State, 2, req)
	c.text("Property.Zip", p.Zip, 5, req)
	// "USPS 2-letter state abbreviation", "state
	// abbreviation" (docs/partners/smartmove.md#property-model): one of USPS's codes, not any two letters.
	c.stateCode("Property.LandlordState", p.LandlordState)
	c.stateCode("Property.State", p.State)
	c.oneOf("Property.Classification", p.Classification, req, "Conventional", "Subsidized")
	if embedded && (p.IsFcraAgreementAccepted == nil || !*p.IsFcraAgreementAccepted) {
		c.fail("Property.IsFcraAgreementAccepted", "must be true")
	}
}

// checkCard: the Credit Card model, all required,
// cardType one of CreditCardType (docs/partners/smartmove.md#credit-card-model).
func checkCard(c *rules, k *cardIn) {
	c.text("CreditCard.firstName", k.FirstName, 50, true)
	c.text("CreditCard.lastName", k.LastName, 50, true)
	c.oneOf("CreditCard.cardType", k.CardType, true, "visa", "amex", "discover", "mastercard")
	c.text("CreditCard.cardNumber", k.CardNumber, 16, true)
	c.digits("CreditCard.cardNumber", k.CardNumber)
	c.text("CreditCard.cardSecurity", k.CardSecurity, 5, true)
	c.digits("CreditCard.cardSecurity", k.CardSecurity)
	c.text("CreditCard.expireMonth", k.ExpireMonth, 2, true)
	if m, err := strconv.Atoi(k.ExpireMonth); k.ExpireMonth != "" && (err != nil || m < 1 || m > 12) {
		c.fail("CreditCard.expireMonth", "must be a month, 01-12")
	}
	c.text("CreditCard.expireYear", k.ExpireYear, 4, true)
	if k.ExpireYear != "" && len(k.ExpireYear) != 4 {
		c.fail("CreditCard.expireYear", "must be four digits")
	}
	c.digits("CreditCard.expireYear", k.ExpireYear)
}

// checkRef applies the rules shared by the calls about one application:
// applicationId int Required, referenceId string Required, and email for
// add/delete (docs/partners/smartmove.md#endpoints).
func checkRef(in *applicationRef, needEmail bool) string {
	var c rules
	if in.ApplicationID == nil || *in.ApplicationID <= 0 {
		c.fail("applicationId", "is required")
	}
	c.reference("referenceId", in.ReferenceID)
	if needEmail && (in.Email == nil || *in.Email == "") {
		c.fail("email", "is required")
	} else if needEmail && !isEmail(*in.Email) {
		// "The email of the tenant" (docs/partners/smartmove.md#applicants), as applicants are.
		c.fail("email", "must be an email address")
	}
	return c.msg
}

// isEmail: a bare address (no display name, no angle brackets).
func isEmail(v string) bool {
	a, err := mail.ParseAddress(v)
	return err == nil && a.Address == v
}
