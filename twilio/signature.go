package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
)

// SignatureHeader carries a status callback's signature (docs/partners/twilio.md#status-callbacks).
const SignatureHeader = "X-Twilio-Signature"

// Signature is what Twilio sends in X-Twilio-Signature: base64 HMAC-SHA1,
// keyed by the auth token, over the full callback URL followed by each POST
// parameter's name and value, sorted by name (docs/partners/twilio.md#status-callbacks).
func Signature(authToken, fullURL string, params url.Values) string {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(fullURL))
	for _, k := range names {
		vs := append([]string(nil), params[k]...)
		sort.Strings(vs) // a repeated name: its values in order, so the result does not depend on arrival order
		for _, v := range vs {
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ValidSignature checks sig against the signature of fullURL and params in
// constant time. An empty sig is never valid.
func ValidSignature(authToken, fullURL string, params url.Values, sig string) bool {
	if sig == "" || authToken == "" {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(Signature(authToken, fullURL, params)))
}
