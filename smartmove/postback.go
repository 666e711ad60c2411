package smartmove

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
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
	// A number is kept as its JSON text ("555").
	ReferenceID   *string `json:"referenceId"`
	ReferenceText *string `json:"referenceText"`
}

// MaxPostbackSize bounds what DecodePostback reads.
const MaxPostbackSize = 64 << 10

// postbackWire is a postback as it may arrive: the spec's example sends
// applicationId as a JSON number (docs/partners/smartmove.md#postbacks) and
// customerReferenceId as a string, and types neither; referenceId
// echoes "any custom ID you posted", which a number-minded sender
// may send back as a number. Each id is read as a number or a string.
type postbackWire struct {
	ApplicationID       flexID       `json:"applicationId"`
	CustomerReferenceID flexID       `json:"customerReferenceId"`
	NotificationText    string       `json:"notificationText"`
	ReportStatus        ReportStatus `json:"reportStatus"`
	ReferenceID         flexID       `json:"referenceId"`
	ReferenceText       *string      `json:"referenceText"`
}

// flexID is an id sent as a JSON string or number; null when absent or null.
type flexID struct{ s *string }

func (f *flexID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		f.s = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		f.s = &s
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("an id must be a string or a number")
	}
	s := n.String()
	f.s = &s
	return nil
}

// DecodePostback reads one postback body and checks the fields a receiver
// keys on. Ids may arrive as JSON numbers or strings; applicationId must be a
// positive integer either way.
func DecodePostback(r io.Reader) (*Postback, error) {
	var w postbackWire
	dec := json.NewDecoder(io.LimitReader(r, MaxPostbackSize))
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: postback: %v", ErrMalformedResponse, err)
	}
	p := Postback{NotificationText: w.NotificationText, ReportStatus: w.ReportStatus, ReferenceID: w.ReferenceID.s, ReferenceText: w.ReferenceText}
	if w.ApplicationID.s != nil {
		p.ApplicationID, _ = strconv.Atoi(strings.TrimSpace(*w.ApplicationID.s))
	}
	if w.CustomerReferenceID.s != nil {
		p.CustomerReferenceID = *w.CustomerReferenceID.s
	}
	if p.ApplicationID <= 0 {
		return nil, fmt.Errorf("%w: postback: applicationId missing or not a positive integer", ErrMalformedResponse)
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
