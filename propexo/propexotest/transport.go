package propexotest

import (
	"net/http"
	"net/http/httptest"
)

// Transport serves requests in process, without a listener: demo mode can
// hand the client &http.Client{Transport: sim.Transport()}. A request whose
// context ends (a client timeout during FaultHang) fails with that error,
// as it would over the network.
func (s *Sim) Transport() http.RoundTripper { return roundTripper{s} }

type roundTripper struct{ s *Sim }

func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	rec := httptest.NewRecorder()
	rt.s.ServeHTTP(rec, req)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	return rec.Result(), nil
}
