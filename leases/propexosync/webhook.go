package propexosync

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/company"
	"github.com/leasegraph/leasegraph/internal/httpjson"
	"github.com/leasegraph/leasegraph/propexo"
	"github.com/leasegraph/leasegraph/viewer"
)

// maxWebhook bounds a webhook body: Propexo's are minimal (PARTNERS.md:86).
const maxWebhook = 64 << 10

// WebhookHandler is POST /webhooks/propexo. It verifies propexo-signature
// over the raw body (PARTNERS.md:85-86) with Secret, the secret our Propexo
// account's webhooks are registered with, before reading anything; then it
// queues a re-fetch of the lease the event names (payloads are minimal:
// re-fetch the record), once per event, and answers 202 at once. Events of
// other models, or of an integration no client holds, are acknowledged
// and ignored, since Propexo would redeliver a non-2xx ten times for nothing.
type WebhookHandler struct {
	Sync   *Service
	Secret []byte
	Log    *slog.Logger
}

// webhook is what the handler reads of a delivery. The extract documents
// no payload schema: these are the simulator's names (propexotest.Webhook).
type webhook struct {
	EventID       string `json:"event_id"`
	Model         string `json:"model"`
	IntegrationID string `json:"integration_id"`
	RecordID      string `json:"record_id"`
}

func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhook))
	if err != nil {
		httpjson.Error(w, &apperr.Error{Code: apperr.CodeBadInput, Message: "the body is too large or unreadable"}, http.StatusRequestEntityTooLarge)
		return
	}
	if !propexo.VerifyWebhook(h.Secret, body, r.Header.Get(propexo.SignatureHeader)) {
		httpjson.Error(w, &apperr.Error{Code: apperr.CodeUnauthenticated, Message: "the propexo-signature header does not match the body"}, http.StatusUnauthorized)
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
	if ev.Model != "leases" || ev.RecordID == "" || ev.IntegrationID == "" || h.Sync.Queue == nil {
		httpjson.Write(w, http.StatusAccepted, map[string]string{"status": "ignored"})
		return
	}
	ctx := viewer.SystemContext(r.Context())
	c, err := h.Sync.DB.Company.Query().Where(company.PropexoIntegrationID(ev.IntegrationID)).Only(ctx)
	if ent.IsNotFound(err) {
		httpjson.Write(w, http.StatusAccepted, map[string]string{"status": "ignored"})
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
	if _, err := h.Sync.Queue.EnqueueLeaseRefresh(ctx, c.ID, ev.RecordID, id); err != nil {
		httpjson.Fail(w, r, h.Log, err)
		return
	}
	httpjson.Write(w, http.StatusAccepted, map[string]string{"status": "accepted"})
}
