package smartmove

import (
	"encoding/json"
	"fmt"
	"time"
)

// Order is what CreateApplication and CreateEmbeddedApplication send: the
// spec's OrderRequest without Customer, which the client fills from the
// referenceID argument so that the customer scope is never left out.
type Order struct {
	Application *Application `json:"Application,omitempty"`
	Product     Product      `json:"Product,omitempty"`
	Property    *Property    `json:"Property,omitempty"`
	// CreditCard is sent only by CreateEmbeddedApplication, and is required
	// there when Application.LandlordPays is true.
	CreditCard        *CreditCard        `json:"CreditCard,omitempty"`
	RequestParameters *RequestParameters `json:"RequestParameters,omitempty"`
}

// orderRequest is the spec's OrderRequest as it goes on the wire.
type orderRequest struct {
	Customer Customer `json:"Customer"`
	Order
}

// Application is the spec's Application model.
type Application struct {
	Applicants []string `json:"Applicants,omitempty"`
	// LandlordPays is a pointer because the spec makes it optional for
	// /create (the landlord picks it on the form) but required for /embedded.
	LandlordPays               *bool `json:"LandlordPays,omitempty"`
	DeclineForOpenBankruptcies bool  `json:"declineForOpenBankruptcies"`
	// OpenBankruptcyWindow is in months, 6-120, required when
	// DeclineForOpenBankruptcies is true.
	OpenBankruptcyWindow int `json:"openBankruptcyWindow"`
}

// Bool returns a pointer to b, for Application.LandlordPays.
func Bool(b bool) *bool { return &b }

// Customer is the spec's Customer model: our end user's id.
type Customer struct {
	ReferenceID string `json:"referenceId"`
}

// Property is the spec's Property model: the rental and its landlord.
type Property struct {
	LandlordFirstName            string         `json:"LandlordFirstName,omitempty"`
	LandlordLastName             string         `json:"LandlordLastName,omitempty"`
	LandlordStreetAddressLineOne string         `json:"LandlordStreetAddressLineOne,omitempty"`
	LandlordStreetAddressLineTwo string         `json:"LandlordStreetAddressLineTwo,omitempty"`
	LandlordCity                 string         `json:"LandlordCity,omitempty"`
	LandlordState                string         `json:"LandlordState,omitempty"`
	LandlordZip                  string         `json:"LandlordZip,omitempty"`
	LandlordPhoneNumber          string         `json:"LandlordPhoneNumber,omitempty"`
	LandlordPhoneExtension       string         `json:"LandlordPhoneExtension,omitempty"`
	LandlordEmail                string         `json:"LandlordEmail,omitempty"`
	UnitNumber                   string         `json:"UnitNumber,omitempty"`
	Street                       string         `json:"Street,omitempty"`
	PropertyName                 string         `json:"PropertyName,omitempty"`
	City                         string         `json:"City,omitempty"`
	State                        string         `json:"State,omitempty"`
	Zip                          string         `json:"Zip,omitempty"`
	Classification               Classification `json:"Classification,omitempty"`
	// IsFcraAgreementAccepted must be true for /embedded; unused elsewhere.
	IsFcraAgreementAccepted bool `json:"IsFcraAgreementAccepted,omitempty"`
}

// CreditCard is the spec's CreditCard model. It prints redacted (brand and
// last four only) so that a logged order never carries the number or CVV.
type CreditCard struct {
	FirstName    string         `json:"firstName"`
	LastName     string         `json:"lastName"`
	CardType     CreditCardType `json:"cardType"`
	CardNumber   string         `json:"cardNumber"`
	CardSecurity string         `json:"cardSecurity"`
	ExpireMonth  string         `json:"expireMonth"`
	ExpireYear   string         `json:"expireYear"`
}

// String shows the brand and last four digits only.
func (c CreditCard) String() string {
	last4 := ""
	if n := len(c.CardNumber); n >= 4 {
		last4 = c.CardNumber[n-4:]
	}
	return fmt.Sprintf("CreditCard{%s ending %s, expires %s/%s}", c.CardType, last4, c.ExpireMonth, c.ExpireYear)
}

// GoString is String, so that %#v redacts too.
func (c CreditCard) GoString() string { return c.String() }

// RequestParameters is the spec's RequestParameters model: where and how
// postbacks are sent.
type RequestParameters struct {
	PostbackURI string `json:"postbackUri,omitempty"`
	// PostbackUsername and PostbackPassword come back in the postback's
	// Authorization header; check it with CheckPostbackAuthorization.
	PostbackUsername    string `json:"postback_username,omitempty"`
	PostbackPassword    string `json:"postback_password,omitempty"`
	ReferenceID         string `json:"referenceId,omitempty"`
	ReferenceText       string `json:"referenceText,omitempty"`
	SendCustomerReceipt bool   `json:"sendCustomerReceipt,omitempty"`
}

// String hides the postback password.
func (p RequestParameters) String() string {
	return fmt.Sprintf("RequestParameters{postbackUri:%q username:%q password:[redacted] referenceId:%q}",
		p.PostbackURI, p.PostbackUsername, p.ReferenceID)
}

// GoString is String, so that %#v redacts too.
func (p RequestParameters) GoString() string { return p.String() }

// applicantRequest is the body of applicant/add and applicant/delete.
type applicantRequest struct {
	ApplicationID int    `json:"applicationId"`
	ReferenceID   string `json:"referenceId"`
	Email         string `json:"email"`
}

// applicationRequest is the body of details, cancel, reportUrl and
// report/status.
type applicationRequest struct {
	ApplicationID int    `json:"applicationId"`
	ReferenceID   string `json:"referenceId"`
}

// listRequest is the body of application/all. Zero limit and page are left
// out so that the partner's defaults apply.
type listRequest struct {
	ReferenceID string `json:"referenceId"`
	Limit       int    `json:"limit,omitempty"`
	Page        int    `json:"page,omitempty"`
}

// ApplicationDetails is the answer of application/details.
type ApplicationDetails struct {
	ApplicationID                  int                  `json:"ApplicationId"`
	LandlordPays                   bool                 `json:"LandlordPays"`
	Property                       PropertyDetails      `json:"Property"`
	Status                         string               `json:"Status"`
	Applicants                     []Applicant          `json:"Applicants"`
	CreditRecommendation           CreditRecommendation `json:"CreditRecommendation"`
	CreditRecommendationPolicyText string               `json:"CreditRecommendationPolicyText"`
	SelectedBundle                 int                  `json:"SelectedBundle"`
}

// PropertyDetails is the property as SmartMove returns it.
type PropertyDetails struct {
	PropertyID         int    `json:"PropertyId"`
	Name               string `json:"Name"`
	PropertyIdentifier string `json:"PropertyIdentifier"`
	UnitNumber         string `json:"UnitNumber"`
	Street             string `json:"Street"`
	City               string `json:"City"`
	State              string `json:"State"`
	Zip                string `json:"Zip"`
}

// Applicant is one applicant in ApplicationDetails. The report fields are
// null in the spec's example and their shape is not documented, so they are
// kept raw.
type Applicant struct {
	AccountID              int             `json:"AccountId"`
	FirstName              string          `json:"FirstName"`
	LastName               string          `json:"LastName"`
	MiddleName             *string         `json:"MiddleName"`
	EmailAddress           string          `json:"EmailAddress"`
	EmploymentIncome       float64         `json:"EmploymentIncome"`
	EmploymentIncomePeriod int             `json:"EmploymentIncomePeriod"`
	EmploymentStatus       string          `json:"EmploymentStatus"`
	OtherIncome            float64         `json:"OtherIncome"`
	OtherIncomePeriod      int             `json:"OtherIncomePeriod"`
	RequestCreatedDate     Timestamp       `json:"RequestCreatedDate"`
	RequestExpirationDate  Timestamp       `json:"RequestExpirationDate"`
	ApplicantStatus        ApplicantStatus `json:"ApplicantStatus"`
	Assets                 float64         `json:"Assets"`
	CreditReport           json.RawMessage `json:"CreditReport"`
	CriminalRecords        json.RawMessage `json:"CriminalRecords"`
	EvictionRecords        json.RawMessage `json:"EvictionRecords"`
	ExtraElements          json.RawMessage `json:"ExtraElements"`
	ParsingErrors          json.RawMessage `json:"ParsingErrors"`
}

// ApplicationSummary is one element of application/all.
type ApplicationSummary struct {
	ApplicationID    int             `json:"ApplicationId"`
	Applicants       []string        `json:"Applicants"`
	UnitNumber       *string         `json:"UnitNumber"`
	LandlordPays     bool            `json:"LandlordPays"`
	Property         PropertyDetails `json:"Property"`
	Status           string          `json:"Status"`
	RenterStatuses   json.RawMessage `json:"RenterStatuses"`
	PaymentStatuses  []PaymentStatus `json:"PaymentStatuses"`
	IsCancellable    bool            `json:"IsCancellable"`
	CanAddApplicants bool            `json:"CanAddApplicants"`
}

// PaymentStatus is one applicant's payment state in ApplicationSummary.
// DidAccept is null until the applicant answers. OrderPaymentID is null in
// the spec and its type is not given, so it is kept raw.
type PaymentStatus struct {
	EmailAddress   string          `json:"emailAddress"`
	DidAccept      *bool           `json:"didAccept"`
	OrderPaymentID json.RawMessage `json:"orderPaymentId"`
}

// Timestamp is a SmartMove date-time. The spec's examples carry no zone
// ("2017-11-10T14:44:56.79"); those are read as UTC. A value with a zone
// keeps it.
type Timestamp struct{ time.Time }

const zonelessLayout = "2006-01-02T15:04:05.999999999"

// UnmarshalJSON accepts null, RFC 3339 and the zone-less form.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	if v, err := time.Parse(time.RFC3339Nano, s); err == nil {
		t.Time = v
		return nil
	}
	v, err := time.Parse(zonelessLayout, s)
	if err != nil {
		return fmt.Errorf("timestamp %q: not a date-time", s)
	}
	t.Time = v
	return nil
}

// MarshalJSON writes the zone-less form SmartMove uses, in UTC.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.UTC().Format(zonelessLayout))
}
