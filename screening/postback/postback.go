// Package postback receives SmartMove's postbacks over HTTP: the client
// address's failed-authentication budget, the body's size and text checks,
// then screening.Service.HandlePostback, answered in the HTTP routes' JSON
// shape.
package postback

import (
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/apperr/classify"
	"github.com/leasegraph/leasegraph/internal/httpjson"
	"github.com/leasegraph/leasegraph/screening"
	"github.com/leasegraph/leasegraph/smartmove"
	"github.com/leasegraph/leasegraph/tenancy/guard"
)

// Handler serves POST screening.PostbackPath{key}.
type Handler struct {
	Screening *screening.Service
	// Guard holds the failed-authentication budget wrong credentials spend.
	Guard *guard.Guard
	Log   *slog.Logger
}

// ServeHTTP receives a SmartMove postback at screening.PostbackPath{key}: 401 without the
// application's credentials (nothing stored), 400 for a message that is not
// the application's, 200 once it is stored and applied, or recognised as a
// repeat.
func (a *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	addr := a.Guard.ClientKey(r)
	if e := a.Guard.SecretAllowed(addr); e != nil {
		httpjson.Denied(w, e)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, smartmove.MaxPostbackSize))
	if err != nil {
		httpjson.Error(w, apperr.BadInput("", "the body is too large"), http.StatusRequestEntityTooLarge)
		return
	}
	// The key is looked up and the body stored: both must be text the
	// database can take (a wrong key is then answered 401 like any other).
	if err := apperr.CheckText("key", r.PathValue("key")); err != nil {
		httpjson.Error(w, err, http.StatusBadRequest)
		return
	}
	if err := apperr.CheckJSONText("body", body); err != nil {
		httpjson.Error(w, err, http.StatusBadRequest)
		return
	}
	result, err := a.Screening.HandlePostback(r.Context(), r.PathValue("key"), r.Header.Get("Authorization"), body)
	switch {
	case err == nil:
		httpjson.Write(w, http.StatusOK, map[string]string{"status": string(result)})
	case errors.Is(err, screening.ErrUnauthorized):
		a.Guard.FailedSecret(addr)
		w.Header().Set("WWW-Authenticate", `Basic realm="leasegraph postbacks"`)
		httpjson.Error(w, apperr.Unauthenticated("postback credentials missing or wrong"), http.StatusUnauthorized)
	default:
		e := classify.Respond(r.Context(), a.Log, "storing a postback", err)
		httpjson.Error(w, e, e.HTTPStatus())
	}
}
