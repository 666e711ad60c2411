package metrics

import (
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/prometheus/client_golang/prometheus"
)

// MaxPartnerEndpoints bounds the distinct endpoint labels per partner; a
// path shape past it (a partner answering with links we follow, say) is
// counted as "other".
const MaxPartnerEndpoints = 50

// partnerMetrics counts calls to the partners by endpoint template.
type partnerMetrics struct {
	calls    *prometheus.CounterVec
	duration *prometheus.HistogramVec
	mu       sync.Mutex
	seen     map[string]map[string]bool // partner -> endpoint templates
}

func newPartnerMetrics(reg *prometheus.Registry) *partnerMetrics {
	p := &partnerMetrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leasegraph_partner_requests_total",
			Help: "Calls to a partner's API, by partner, endpoint template (ids as {id}) and outcome (ok, client_error, server_error, error: no answer).",
		}, []string{"partner", "endpoint", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "leasegraph_partner_request_duration_seconds", Help: "Time a partner took to answer, by partner and endpoint template.",
			Buckets: prometheus.DefBuckets,
		}, []string{"partner", "endpoint"}),
		seen: map[string]map[string]bool{},
	}
	reg.MustRegister(p.calls, p.duration)
	return p
}

// PartnerClient returns c (nil: a new client with timeout) with a
// transport that counts its calls as partner's. The partner clients take
// it as their Config.HTTPClient.
func (m *Metrics) PartnerClient(partner string, c *http.Client, timeout time.Duration) *http.Client {
	out := &http.Client{Timeout: timeout}
	if c != nil {
		copied := *c
		out = &copied
	}
	next := out.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	out.Transport = partnerTransport{m: m.partners, partner: partner, next: next}
	return out
}

type partnerTransport struct {
	m       *partnerMetrics
	partner string
	next    http.RoundTripper
}

func (t partnerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	start := time.Now()
	res, err := t.next.RoundTrip(r)
	endpoint := t.m.endpoint(t.partner, r.Method, r.URL.Path)
	outcome := "error"
	if err == nil {
		switch {
		case res.StatusCode >= 500:
			outcome = "server_error"
		case res.StatusCode >= 400:
			outcome = "client_error"
		default:
			outcome = "ok"
		}
	}
	t.m.calls.WithLabelValues(t.partner, endpoint, outcome).Inc()
	t.m.duration.WithLabelValues(t.partner, endpoint).Observe(time.Since(start).Seconds())
	return res, err
}

// endpoint is EndpointTemplate, admitted until the partner has MaxPartnerEndpoints of them.
func (p *partnerMetrics) endpoint(partner, method, path string) string {
	e := EndpointTemplate(method, path)
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := p.seen[partner]
	if seen == nil {
		seen = map[string]bool{}
		p.seen[partner] = seen
	}
	if !seen[e] {
		if len(seen) >= MaxPartnerEndpoints {
			return "other"
		}
		seen[e] = true
	}
	return e
}

// EndpointTemplate is "METHOD /path" with every segment that names a record
// (it holds a digit, or is 20+ characters: ids, UUIDs, keys) as {id}; the
// traces name partner calls by it too.
func EndpointTemplate(method, path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if len(s) >= 20 || strings.IndexFunc(s, unicode.IsDigit) >= 0 && !isVersion(s) {
			segs[i] = "{id}"
		}
	}
	return method + " " + strings.Join(segs, "/")
}

// isVersion keeps an API version segment ("v1") in the template.
func isVersion(s string) bool {
	if len(s) < 2 || (s[0] != 'v' && s[0] != 'V') {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
