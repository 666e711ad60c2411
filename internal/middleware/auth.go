package middleware

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/apperr/classify"
	"github.com/leasegraph/leasegraph/internal/httpjson"
	"github.com/leasegraph/leasegraph/ratelimit"
	"github.com/leasegraph/leasegraph/tenancy/guard"
	"github.com/leasegraph/leasegraph/viewer"
)

// Denied answers a request refused by authentication (401) or a rate
// limit (429) in the route's own error format (GraphQL's in the media type
// the request accepts).
type Denied func(http.ResponseWriter, *http.Request, *apperr.Error)

// HTTPDenied answers a refusal with {"error": ...}, for the REST routes.
func HTTPDenied(w http.ResponseWriter, _ *http.Request, e *apperr.Error) { httpjson.Denied(w, e) }

// Authenticate resolves the bearer token into the request's viewer, within
// the token's and the address's rate limits. Preflights pass unasked: a
// browser sends no token with them.
func Authenticate(g *guard.Guard, log *slog.Logger, deny Denied) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodOptions {
				next.ServeHTTP(w, r)
				return
			}
			secret, ok := guard.Bearer(r.Header.Get("Authorization"))
			if !ok {
				deny(w, r, apperr.Unauthenticated("send an API token as Authorization: Bearer <token>"))
				return
			}
			v, key, err := g.Authenticate(r.Context(), g.ClientKey(r), secret)
			// The token's budget, on its answers and its refusals alike
			// (not on an unknown token's: it has none).
			st, limited := g.TokenState(key)
			if limited {
				st.Header(w.Header(), time.Now())
			}
			if err != nil {
				if ae, ok := apperr.As(err); ok {
					deny(w, r, ae) // 401 or 429, in the route's own shape
					return
				}
				deny(w, r, classify.Respond(r.Context(), log, "authenticating", err))
				return
			}
			ctx := guard.WithTokenKey(viewer.NewContext(r.Context(), v), key)
			if limited {
				ctx = ratelimit.WithState(ctx, st)
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
