package sms

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/events"
	"github.com/leasegraph/leasegraph/internal/httpjson"
	"github.com/leasegraph/leasegraph/tenancy/guard"
	"github.com/leasegraph/leasegraph/twilio"
	"github.com/leasegraph/leasegraph/viewer"
)

// HookPath is where Twilio posts status callbacks.
const HookPath = "/webhooks/twilio/status"

// CallbackURL is the StatusCallback given to Twilio for the delivery id:
// the id in the URL (which Twilio signs) finds the delivery even when a
// callback arrives before the send's answer is stored.
func CallbackURL(publicURL string, id int) string {
	return strings.TrimRight(publicURL, "/") + HookPath + "?delivery=" + strconv.Itoa(id)
}

// maxHookBody bounds a callback's form: Twilio's are a few hundred bytes.
const maxHookBody = 64 << 10

// Hook is the status-callback route. Twilio signs each callback with the
// auth token over the URL it was sent to (docs/partners/twilio.md#status-callbacks), so the URL is
// rebuilt from PublicURL, the one given to Twilio as StatusCallback, not
// from the request (a proxy may have rewritten its host or scheme).
type Hook struct {
	DB        *ent.Client
	AuthToken string
	PublicURL string
	// Guard holds the failed-authentication budget that wrong signatures
	// spend, as on every route that takes a secret.
	Guard *guard.Guard
	Log   *slog.Logger
	// Events records sms.delivered and sms.failed with the callback that
	// ends a delivery so; nil records none.
	Events *events.Recorder
}

func (h *Hook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	addr := h.Guard.ClientKey(r)
	if e := h.Guard.SecretAllowed(addr); e != nil {
		httpjson.Denied(w, e)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxHookBody)
	if err := r.ParseForm(); err != nil {
		httpjson.Fail(w, r, h.Log, apperr.BadInput("", "the body is not a form"))
		return
	}
	full := strings.TrimRight(h.PublicURL, "/") + r.URL.RequestURI()
	if !twilio.ValidSignature(h.AuthToken, full, r.PostForm, r.Header.Get(twilio.SignatureHeader)) {
		h.Guard.FailedSecret(addr)
		httpjson.Fail(w, r, h.Log, apperr.Forbidden("the X-Twilio-Signature header is missing or does not match"))
		return
	}
	sid, status, code := r.PostForm.Get("MessageSid"), r.PostForm.Get("MessageStatus"), r.PostForm.Get("ErrorCode")
	switch {
	case sid == "" || len(sid) > 64 || apperr.TextProblem(sid) != "":
		httpjson.Fail(w, r, h.Log, apperr.BadInput("MessageSid", "MessageSid is required"))
		return
	case !Known(status):
		// A status this code does not know moves nothing; Twilio is told
		// it arrived so that it does not resend it.
		w.WriteHeader(http.StatusNoContent)
		return
	case !ValidErrorCode(code):
		httpjson.Fail(w, r, h.Log, apperr.BadInput("ErrorCode", "ErrorCode is not a number"))
		return
	}
	id, err := strconv.Atoi(r.URL.Query().Get("delivery"))
	if err != nil || id <= 0 {
		httpjson.Fail(w, r, h.Log, apperr.BadInput("delivery", "the callback URL names no delivery"))
		return
	}
	found, err := ApplyStatus(viewer.SystemContext(r.Context()), h.DB, h.Events, id, sid, status, code)
	if err != nil {
		httpjson.Fail(w, r, h.Log, err)
		return
	}
	if !found {
		httpjson.Fail(w, r, h.Log, apperr.NotFound("SMS with this MessageSid"))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
