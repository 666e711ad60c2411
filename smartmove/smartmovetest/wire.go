package smartmovetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
)

// The request models, decoded with pointers so that "absent" and "zero" can
// be told apart: the spec's required rules are about presence. Field names
// match case-insensitively, as encoding/json (and SmartMove's .NET binder) do.

type orderIn struct {
	Product           *string        `json:"Product"`
	Application       *applicationIn `json:"Application"`
	Customer          *customerIn    `json:"Customer"`
	Property          *propertyIn    `json:"Property"`
	CreditCard        *cardIn        `json:"CreditCard"`
	RequestParameters *paramsIn      `json:"RequestParameters"`
}

type applicationIn struct {
	Applicants                 []string `json:"Applicants"`
	LandlordPays               *bool    `json:"LandlordPays"`
	DeclineForOpenBankruptcies *bool    `json:"declineForOpenBankruptcies"`
	OpenBankruptcyWindow       *int     `json:"openBankruptcyWindow"`
}

type customerIn struct {
	ReferenceID *looseString `json:"referenceId"`
}

type propertyIn struct {
	LandlordFirstName            string `json:"LandlordFirstName"`
	LandlordLastName             string `json:"LandlordLastName"`
	LandlordStreetAddressLineOne string `json:"LandlordStreetAddressLineOne"`
	LandlordStreetAddressLineTwo string `json:"LandlordStreetAddressLineTwo"`
	LandlordCity                 string `json:"LandlordCity"`
	LandlordState                string `json:"LandlordState"`
	LandlordZip                  string `json:"LandlordZip"`
	LandlordPhoneNumber          string `json:"LandlordPhoneNumber"`
	LandlordPhoneExtension       string `json:"LandlordPhoneExtension"`
	LandlordEmail                string `json:"LandlordEmail"`
	UnitNumber                   string `json:"UnitNumber"`
	Street                       string `json:"Street"`
	PropertyName                 string `json:"PropertyName"`
	City                         string `json:"City"`
	State                        string `json:"State"`
	Zip                          string `json:"Zip"`
	Classification               string `json:"Classification"`
	IsFcraAgreementAccepted      *bool  `json:"IsFcraAgreementAccepted"`
}

type cardIn struct {
	FirstName    string `json:"firstName"`
	LastName     string `json:"lastName"`
	CardType     string `json:"cardType"`
	CardNumber   string `json:"cardNumber"`
	CardSecurity string `json:"cardSecurity"`
	ExpireMonth  string `json:"expireMonth"`
	ExpireYear   string `json:"expireYear"`
}

type paramsIn struct {
	PostbackURI      string       `json:"postbackUri"`
	PostbackUsername string       `json:"postback_username"`
	PostbackPassword string       `json:"postback_password"`
	ReferenceID      *looseString `json:"referenceId"`
	ReferenceText    *string      `json:"referenceText"`
}

// applicationRef is the body of every call about one application.
type applicationRef struct {
	ApplicationID *int         `json:"applicationId"`
	ReferenceID   *looseString `json:"referenceId"`
	Email         *string      `json:"email"`
}

type listIn struct {
	ReferenceID *looseString `json:"referenceId"`
	Limit       *int         `json:"limit"`
	Page        *int         `json:"page"`
}

// looseString is a string that may arrive as a JSON number: the spec's
// tables type referenceId as string, but its examples send 1 and 111.
type looseString string

func (l *looseString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = looseString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		// A type error, so that encoding/json names the field in it.
		return &json.UnmarshalTypeError{Value: "non-string", Type: reflect.TypeFor[string]()}
	}
	*l = looseString(n.String())
	return nil
}

func (l *looseString) value() string {
	if l == nil {
		return ""
	}
	return string(*l)
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		return nil, errors.New("request body too large or unreadable")
	}
	return b, nil
}

// decode reads a JSON object; an empty or non-object body is invalid input.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errors.New("request body is empty")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return errors.New(te.Field + ": has the wrong type")
		}
		return errors.New("request body is not valid JSON")
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
