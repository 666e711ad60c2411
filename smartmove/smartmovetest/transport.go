package smartmovetest

import (
	"net/http"
	"net/http/httptest"
)

// Transport serves requests in-process, with no listener: demo mode gives
// smartmove.Config an http.Client with this transport and keeps the real
// https base URL.
func (s *Server) Transport() http.RoundTripper { return roundTripper{s} }

type roundTripper struct{ s *Server }

func (t roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.s.ServeHTTP(rec, r)
	// A caller who gave up gets its context error, as over a network.
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}
