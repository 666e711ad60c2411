package propexosync

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/company"
	"github.com/leasegraph/leasegraph/internal/httpjson"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/viewer"
)

// maxWebhook bounds a webhook body: Propexo's are minimal (docs/partners/propexo.md#webhook-deliveries).
const maxWebhook = 64 << 10

// WebhookPath is the route prefix of a client's Propexo webhook; the
// client's id follows it.
const WebhookPath = "/webhooks/propexo/"

// The models a delivery may name that a re-fetch follows (the webhook
// model enum, docs/partners/propexo.md#webhook-configuration). Others are ignored.
const (
	ModelLeases         = "leases"
	ModelResidents      = "residents"
	ModelLeaseTransfers = "lease_transfers"
)

// WebhookSecret is the secret client's Propexo webhook is registered with
// and its deliveries are verified by: HMAC-SHA256(key, "propexo-webhook:"
// + client id), hex. Derived, so no secret per client is stored, and one
// client's secret tells nothing of another's; nil key derives nothing.
func WebhookSecret(key []byte, clientID int) string {
	if len(key) == 0 {
		return ""
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("propexo-webhook:" + strconv.Itoa(clientID)))
	return hex.EncodeToString(mac.Sum(nil))
}

// Guard is the failed-authentication budget a wrong signature spends
// (tenancy/guard.Guard), so that forging deliveries is rate limited like
// guessing any other secret.
type Guard interface {
	ClientKey(r *http.Request) string
	SecretAllowed(addr string) *apperr.Error
	FailedSecret(addr string)
}

// WebhookHandler is POST /webhooks/propexo/{client}. It verifies
// propexo-signature over the raw body (docs/partners/propexo.md#webhook-deliveries) with that
// client's WebhookSecret before reading anything else, then queues a
// re-fetch of the record the event names (payloads are minimal: re-fetch
// the record), once per event, and answers 202 at once. Events of other
// models, or of an integration that is not the client's, are acknowledged
// and ignored: Propexo would redeliver a non-2xx for nothing, and every
// webhook of the account hears every integration's events.
type WebhookHandler struct {
	Sync *Service
	// Key derives each client's secret (PROPEXO_WEBHOOK_SECRET); empty
	// refuses every delivery.
	Key   []byte
	Guard Guard
	Log   *slog.Logger
}

// webhook is what the handler reads of a delivery. The extract documents
// no payload schema: these are the simulator's names (propexotest.Webhook),
// as DESIGN.md records.
type webhook struct {
	EventID       string `json:"event_id"`
	Model         string `json:"model"`
	IntegrationID string `json:"integration_id"`
	RecordID      string `json:"record_id"`
}

func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	addr := h.Guard.ClientKey(r)
	if e := h.Guard.SecretAllowed(addr); e != nil {
		httpjson.Denied(w, e)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhook))
	if err != nil {
		httpjson.Error(w, &apperr.Error{Code: apperr.CodeBadInput, Message: "the body is too large or unreadable"}, http.StatusRequestEntityTooLarge)
		return
	}
	// The path names the client whose secret must have signed the body; a
	// path that names none is a signature that cannot match.
	clientID, err := strconv.Atoi(r.PathValue("client"))
	if err != nil || clientID <= 0 || strconv.Itoa(clientID) != r.PathValue("client") ||
		!propexo.VerifyWebhook([]byte(WebhookSecret(h.Key, clientID)), body, r.Header.Get(propexo.SignatureHeader)) {
		h.Guard.FailedSecret(addr)
		httpjson.Error(w, &apperr.Error{Code: apperr.CodeUnauthenticated, Message: "the propexo-signature header is missing or does not match the body"}, http.StatusUnauthorized)
		return
	}
	var ev webhook
	if err := json.Unmarshal(body, &ev); err != nil {
		httpjson.Error(w, &apperr.Error{Code: apperr.CodeBadInput, Message: "the body is not a JSON object"}, http.StatusBadRequest)
		return
	}
	for field, v := range map[string]string{"event_id": ev.EventID, "model": ev.Model, "integration_id": ev.IntegrationID, "record_id": ev.RecordID} {
		if e := apperr.CheckText(field, v); e != nil {
			httpjson.Error(w, e, http.StatusBadRequest)
			return
		}
	}
	if len(ev.RecordID) > 200 || len(ev.IntegrationID) > 100 {
		httpjson.Error(w, &apperr.Error{Code: apperr.CodeBadInput, Message: "record_id or integration_id is too long"}, http.StatusBadRequest)
		return
	}
	switch ev.Model {
	case ModelLeases, ModelResidents, ModelLeaseTransfers:
	default:
		ignored(w)
		return
	}
	if ev.RecordID == "" || ev.IntegrationID == "" || h.Sync.Queue == nil {
		ignored(w)
		return
	}
	ctx := viewer.SystemContext(r.Context())
	c, err := h.Sync.DB.Company.Query().Where(company.ID(clientID)).Only(ctx)
	if ent.IsNotFound(err) || (err == nil && c.PropexoIntegrationID != ev.IntegrationID) {
		ignored(w)
		return
	}
	if err != nil {
		httpjson.Fail(w, r, h.Log, err)
		return
	}
	id := ev.EventID
	if id == "" || len(id) > 200 {
		sum := sha256.Sum256(body)
		id = "sha256:" + hex.EncodeToString(sum[:])
	}
	if _, err := h.Sync.Queue.EnqueueRecordRefresh(ctx, c.ID, ev.Model, ev.RecordID, id); err != nil {
		httpjson.Fail(w, r, h.Log, err)
		return
	}
	httpjson.Write(w, http.StatusAccepted, map[string]string{"status": "accepted"})
}

func ignored(w http.ResponseWriter) {
	httpjson.Write(w, http.StatusAccepted, map[string]string{"status": "ignored"})
}
