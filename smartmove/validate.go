package smartmove

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/leasegraph/leasegraph/types/usps"
)

// ValidationError is a request the client refused to send because it breaks
// a rule of the spec. It names the field by its wire path, never its value
// (the value may be a card number).
type ValidationError struct {
	Field  string // e.g. "Property.LandlordZip"
	Reason string // e.g. "longer than 5 characters"
}

func (e *ValidationError) Error() string { return "smartmove: invalid " + e.Field + ": " + e.Reason }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Limits from the spec's models. Lengths count characters, not bytes.
const (
	maxReferenceID   = 100
	minBankruptcyWin = 6
	maxBankruptcyWin = 120
)

// checker collects the first failure; later checks become no-ops, so a
// validator reads as a flat list of rules in wire order.
type checker struct{ err *ValidationError }

func (c *checker) fail(field, reason string) {
	if c.err == nil {
		c.err = &ValidationError{Field: field, Reason: reason}
	}
}

func (c *checker) required(field, v string) {
	if v == "" {
		c.fail(field, "required")
	}
}

func (c *checker) maxLen(field, v string, n int) {
	if utf8.RuneCountInString(v) > n {
		c.fail(field, "longer than "+strconv.Itoa(n)+" characters")
	}
}

// text is an optional string with a maximum length, required when req.
func (c *checker) text(field, v string, n int, req bool) {
	if req {
		c.required(field, v)
	}
	c.maxLen(field, v, n)
}

func (c *checker) digits(field, v string) {
	for _, r := range v {
		if r < '0' || r > '9' {
			c.fail(field, "must be digits only")
			return
		}
	}
}

func (c *checker) result() error {
	if c.err == nil {
		return nil
	}
	return c.err
}

func checkReference(c *checker, referenceID string) {
	c.text("referenceId", referenceID, maxReferenceID, true)
}

func checkApplicationID(c *checker, id int) {
	if id <= 0 {
		c.fail("applicationId", "required (a positive SmartMove application id)")
	}
}

// validateOrder applies the OrderRequest rules; embedded turns the
// "Required if using /application/create/embedded" clauses on.
func validateOrder(referenceID string, o *Order, embedded bool) error {
	var c checker
	c.text("Customer.referenceId", referenceID, maxReferenceID, true)
	checkApplication(&c, o.Application, embedded)
	switch {
	case o.Product == "" && embedded:
		c.fail("Product", "required")
	case o.Product != "" && !o.Product.Valid():
		c.fail("Product", "unknown product")
	}
	checkProperty(&c, o.Property, embedded)
	switch {
	case !embedded && o.CreditCard != nil:
		// /create takes no card: the landlord pays on SmartMove's own form.
		c.fail("CreditCard", "only accepted by application/create/embedded")
	case embedded && o.CreditCard == nil && o.Application != nil && o.Application.LandlordPays != nil && *o.Application.LandlordPays:
		c.fail("CreditCard", "required when Application.LandlordPays is true")
	case o.CreditCard != nil:
		checkCard(&c, o.CreditCard)
	}
	checkParameters(&c, o.RequestParameters)
	return c.result()
}

func checkApplication(c *checker, a *Application, embedded bool) {
	if a == nil {
		if embedded {
			c.fail("Application", "required")
		}
		return
	}
	if embedded && len(a.Applicants) == 0 {
		c.fail("Application.Applicants", "required (at least one email)")
	}
	seen := map[string]bool{}
	for i, email := range a.Applicants {
		field := "Application.Applicants[" + strconv.Itoa(i) + "]"
		c.required(field, email)
		if key := strings.ToLower(email); email != "" && seen[key] {
			c.fail(field, "duplicate email")
		} else {
			seen[key] = true
		}
	}
	if embedded && a.LandlordPays == nil {
		c.fail("Application.LandlordPays", "required")
	}
	if a.DeclineForOpenBankruptcies && (a.OpenBankruptcyWindow < minBankruptcyWin || a.OpenBankruptcyWindow > maxBankruptcyWin) {
		c.fail("Application.openBankruptcyWindow", "must be between 6 and 120 months when declineForOpenBankruptcies is true")
	}
}

// stateCode: "For domestic addresses use the USPS 2-letter state
// abbreviation" (docs/partners/smartmove.md#property-model); SmartMove's simulator refuses
// other pairs of letters, so the form says so before the call.
func (c *checker) stateCode(field, v string) {
	if v != "" && !usps.IsCode(v) {
		c.fail(field, "must be a USPS state abbreviation such as NY")
	}
}

func checkProperty(c *checker, p *Property, embedded bool) {
	if p == nil {
		if embedded {
			c.fail("Property", "required")
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
	c.stateCode("Property.LandlordState", p.LandlordState)
	c.text("Property.LandlordZip", p.LandlordZip, 5, req)
	c.text("Property.LandlordPhoneNumber", p.LandlordPhoneNumber, 15, req)
	c.text("Property.LandlordPhoneExtension", p.LandlordPhoneExtension, 6, false)
	c.text("Property.LandlordEmail", p.LandlordEmail, 100, req)
	c.text("Property.UnitNumber", p.UnitNumber, 50, req)
	c.text("Property.Street", p.Street, 100, req)
	c.text("Property.PropertyName", p.PropertyName, 50, req)
	c.text("Property.City", p.City, 50, req)
	c.text("Property.State", p.State, 2, req)
	c.stateCode("Property.State", p.State)
	c.text("Property.Zip", p.Zip, 5, req)
	switch {
	case p.Classification == "" && req:
		c.fail("Property.Classification", "required")
	case p.Classification != "" && !p.Classification.Valid():
		c.fail("Property.Classification", "unknown classification")
	}
	if embedded && !p.IsFcraAgreementAccepted {
		c.fail("Property.IsFcraAgreementAccepted", "must be true")
	}
}

func checkCard(c *checker, k *CreditCard) {
	c.text("CreditCard.firstName", k.FirstName, 50, true)
	c.text("CreditCard.lastName", k.LastName, 50, true)
	switch {
	case k.CardType == "":
		c.fail("CreditCard.cardType", "required")
	case !k.CardType.Valid():
		c.fail("CreditCard.cardType", "unknown card type")
	}
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

// checkParameters reads "postbackUri is required" (the prose) over the
// model table's "Optional": parameters without a postback URI are useless.
func checkParameters(c *checker, p *RequestParameters) {
	if p == nil {
		return
	}
	if p.PostbackURI == "" {
		c.fail("RequestParameters.postbackUri", "required when RequestParameters is given")
		return
	}
	u, err := url.Parse(p.PostbackURI)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		c.fail("RequestParameters.postbackUri", "must be an absolute http(s) URL")
	}
}

func validateApplicant(referenceID string, applicationID int, email string) error {
	var c checker
	checkApplicationID(&c, applicationID)
	checkReference(&c, referenceID)
	c.required("email", email)
	return c.result()
}

func validateApplicationRef(referenceID string, applicationID int) error {
	var c checker
	checkApplicationID(&c, applicationID)
	checkReference(&c, referenceID)
	return c.result()
}

func validateList(referenceID string, limit, page int) error {
	var c checker
	checkReference(&c, referenceID)
	if limit < 0 {
		c.fail("limit", "must not be negative (0 means the default, 10)")
	}
	if page < 0 {
		c.fail("page", "must not be negative")
	}
	return c.result()
}
