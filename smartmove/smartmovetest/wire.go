package smartmovetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// The request models, decoded with pointers so that "absent" and "zero" can
// be told apart: the spec's required rules are about presence. Field names
// are the spec's, exactly: the spec spells each one (models and
// endpoints: docs/partners/smartmove.md#wire-names), and a
// name in other letter case is refused (checkNames), though encoding/json
// would match it: a client that sends "product" must not pass here and fail
// at SmartMove. Names the spec does not list are ignored.

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

// looseString is a reference id: the spec's tables type every referenceId as
// a string (docs/partners/smartmove.md#reference-id-types), though some of its
// examples send numbers. The simulator
// takes the tables' word, the stricter one: a number is the wrong type.
type looseString string

func (l *looseString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		// A type error, so that encoding/json names the field in it.
		return &json.UnmarshalTypeError{Value: "non-string", Type: reflect.TypeFor[string]()}
	}
	*l = looseString(s)
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

// decode reads a JSON object; an empty or non-object body is invalid input,
// and so is a field name in the wrong letter case.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errors.New("request body is empty")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				// Go 1.27's encoding/json leaves Field empty when the type
				// error comes from an UnmarshalJSON method (looseString's).
				field = notAString(body, reflect.TypeOf(v), "")
			}
			if field != "" {
				return errors.New(field + ": has the wrong type")
			}
		}
		return errors.New("request body is not valid JSON")
	}
	if msg := checkNames(body, reflect.TypeOf(v), ""); msg != "" {
		return errors.New(msg)
	}
	return nil
}

// notAString is the path of the first looseString in raw (walked beside
// its type t) whose value is neither a JSON string nor null; "" when none.
func notAString(raw []byte, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == reflect.TypeFor[looseString]():
		var s *string
		if json.Unmarshal(raw, &s) != nil {
			return strings.TrimSuffix(path, ".")
		}
	case t.Kind() == reflect.Struct:
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return ""
		}
		for _, k := range slices.Sorted(maps.Keys(m)) {
			for i := range t.NumField() {
				if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name == k {
					if p := notAString(m[k], t.Field(i).Type, path+k+"."); p != "" {
						return p
					}
				}
			}
		}
	case t.Kind() == reflect.Slice:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return ""
		}
		for i, it := range items {
			if p := notAString(it, t.Elem(), strings.TrimSuffix(path, ".")+"["+strconv.Itoa(i)+"]."); p != "" {
				return p
			}
		}
	}
	return ""
}

// checkNames walks a decoded body beside the model's type and reports the
// first object key (in sorted order) that matches a field only when letter
// case is ignored.
func checkNames(raw []byte, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		var m map[string]json.RawMessage
		if json.Unmarshal(raw, &m) != nil {
			return "" // null: nothing to name
		}
		keys := slices.Sorted(maps.Keys(m))
		for _, k := range keys {
			for i := range t.NumField() {
				f := t.Field(i)
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				switch {
				case name == k:
					if msg := checkNames(m[k], f.Type, path+k+"."); msg != "" {
						return msg
					}
				case strings.EqualFold(name, k):
					return path + k + ": is not a field; field names are case-sensitive (" + path + name + ")"
				}
			}
		}
	case reflect.Slice:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return ""
		}
		for i, it := range items {
			if msg := checkNames(it, t.Elem(), strings.TrimSuffix(path, ".")+"["+strconv.Itoa(i)+"]."); msg != "" {
				return msg
			}
		}
	}
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }
