package middleware

import (
	"net/http"

	"github.com/rs/cors"
)

// SecurityHeaders sets the headers every answer carries.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		switch {
		case r.URL.Path == "/graphql" && r.Method == http.MethodGet && r.Header.Get("Authorization") != "":
			// A GET query (a persisted one's URL is short and stable) may be
			// kept by the caller's own browser or client, never by a shared
			// cache: the answer is the token's data, so it varies with the
			// token, and is checked again before each reuse.
			h.Set("Cache-Control", "private, no-cache")
			h.Add("Vary", "Authorization")
		case r.URL.Path == "/graphql" || r.URL.Path == "/leases":
			// Set here, outside every other handler, so that API errors (401,
			// 413, ...) are never cached either: answers hold tenants' data.
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// CORS lets browser apps on the allowed origins ("*" for any) call the
// routes it wraps; none allowed turns it off. The API authenticates by
// bearer token, never by cookie, so another origin's page can do nothing
// without a token of its own. exposed are the answer headers such an app
// may read.
func CORS(origins, exposed []string) func(http.Handler) http.Handler {
	if len(origins) == 0 {
		return func(h http.Handler) http.Handler { return h }
	}
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodPost},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Accept"},
		ExposedHeaders: exposed,
		MaxAge:         600,
	}).Handler
}
