package page

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// FormState carries a registration across the card screen's POST. It is
// signed with the server's key and expires, which protects the form against
// forgery without cookies (Safari and Firefox block third-party cookies
// inside iframes). It holds the token's id, never the token.
type FormState struct {
	TokenID     int    `json:"t"`
	PropertyTag string `json:"p"`
	FullName    string `json:"n"`
	MobilePhone string `json:"m"`
	SMSNotes    string `json:"s"`
	CRMOrigin   string `json:"o"`
	RequireCC   bool   `json:"r,omitempty"`
	// Problem, set by the first screen, records the attempt as incomplete
	// once the browser has shown the page (a require_cc or crm_origin the
	// page cannot use).
	Problem string `json:"x,omitempty"`
	// Card marks the card screen's state; without it the state is the
	// first screen's, which registers as the URL asked.
	Card    bool      `json:"c,omitempty"`
	Expires time.Time `json:"e"`
}

// formStateTTL bounds how long an agent may take on the card screen.
const formStateTTL = 30 * time.Minute

var errFormState = errors.New("the form has expired or was changed: open the registration again")

// SignState signs s with key, for the form's hidden field.
func SignState(key []byte, s FormState) string {
	body, _ := json.Marshal(s)
	payload := base64.RawURLEncoding.EncodeToString(body)
	return payload + "." + base64.RawURLEncoding.EncodeToString(stateMAC(key, payload))
}

// VerifyState returns the state signed by key, refusing a changed or
// expired one.
func VerifyState(key []byte, signed string, now time.Time) (FormState, error) {
	var s FormState
	payload, sig, ok := strings.Cut(signed, ".")
	if !ok {
		return s, errFormState
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, stateMAC(key, payload)) {
		return s, errFormState
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(body, &s) != nil || now.After(s.Expires) {
		return s, errFormState
	}
	return s, nil
}

func stateMAC(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("registration-form\x00" + payload))
	return m.Sum(nil)
}
