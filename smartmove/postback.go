package smartmove

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Postback is the JSON SmartMove posts to RequestParameters.postbackUri as
// an application progresses. Expect several per order, possibly repeated and
// out of order: dedupe, and never move a status backwards.
type Postback struct {
	ApplicationID       int          `json:"applicationId"`
	CustomerReferenceID string       `json:"customerReferenceId"`
	NotificationText    string       `json:"notificationText"`
	ReportStatus        ReportStatus `json:"reportStatus"`
	// ReferenceID and ReferenceText echo RequestParameters; null when unset.
	ReferenceID   *string `json:"referenceId"`
	ReferenceText *string `json:"referenceText"`
}

// MaxPostbackSize bounds what DecodePostback reads.
const MaxPostbackSize = 64 << 10

// DecodePostback reads one postback body and checks the fields a receiver
// keys on.
func DecodePostback(r io.Reader) (*Postback, error) {
	var p Postback
	dec := json.NewDecoder(io.LimitReader(r, MaxPostbackSize))
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: postback: %v", ErrMalformedResponse, err)
	}
	if p.ApplicationID <= 0 {
		return nil, fmt.Errorf("%w: postback: applicationId missing", ErrMalformedResponse)
	}
	if p.ReportStatus == "" {
		return nil, fmt.Errorf("%w: postback: reportStatus missing", ErrMalformedResponse)
	}
	return &p, nil
}

// PostbackAuthorization is the Authorization header the spec describes:
// base64(username) ":" base64(password).
func PostbackAuthorization(username, password string) string {
	enc := base64.StdEncoding
	return enc.EncodeToString([]byte(username)) + ":" + enc.EncodeToString([]byte(password))
}

// CheckPostbackAuthorization reports whether header carries username and
// password (see ParsePostbackAuthorization). The comparison takes the same
// time whatever matches.
func CheckPostbackAuthorization(header, username, password string) bool {
	user, pass, ok := ParsePostbackAuthorization(header)
	if !ok {
		return false
	}
	return equalSecret(user, username)&equalSecret(pass, password) == 1
}

// ParsePostbackAuthorization reads the username and password of a
// postback's Authorization header, in the spec's form
// (base64(username) ":" base64(password)) or as standard Basic auth: the
// partner notes say to accept both. A receiver that keeps only a hash of the
// credentials (screening/) compares what this returns.
func ParsePostbackAuthorization(h string) (user, pass string, ok bool) {
	h = strings.TrimSpace(h)
	enc := base64.StdEncoding
	if scheme, rest, found := strings.Cut(h, " "); found && strings.EqualFold(scheme, "Basic") {
		b, err := enc.DecodeString(strings.TrimSpace(rest))
		if err != nil {
			return "", "", false
		}
		return strings.Cut(string(b), ":")
	}
	u64, p64, found := strings.Cut(h, ":")
	if !found {
		return "", "", false
	}
	u, err1 := enc.DecodeString(u64)
	p, err2 := enc.DecodeString(p64)
	if err1 != nil || err2 != nil {
		return "", "", false
	}
	return string(u), string(p), true
}

// equalSecret compares hashes so that neither length nor content leaks
// through timing.
func equalSecret(a, b string) int {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:])
}
