package viewer_test

import (
	"context"
	"testing"

	"github.com/leasegraph/leasegraph/viewer"
)

// Has is what every privacy rule asks, so each step of the hierarchy
// (admin ⊃ write ⊃ read) and its absence in the other direction matters.
func TestHas(t *testing.T) {
	r, w, a := viewer.ScopeRead, viewer.ScopeWrite, viewer.ScopeAdmin
	for _, c := range []struct {
		name  string
		have  []viewer.Scope
		asked viewer.Scope
		want  bool
	}{
		{"read grants read", []viewer.Scope{r}, r, true},
		{"read does not grant write", []viewer.Scope{r}, w, false},
		{"read does not grant admin", []viewer.Scope{r}, a, false},
		{"write grants read", []viewer.Scope{w}, r, true},
		{"write grants write", []viewer.Scope{w}, w, true},
		{"write does not grant admin", []viewer.Scope{w}, a, false},
		{"admin grants read", []viewer.Scope{a}, r, true},
		{"admin grants write", []viewer.Scope{a}, w, true},
		{"admin grants admin", []viewer.Scope{a}, a, true},
		{"any listed scope counts, not only the first", []viewer.Scope{r, w}, w, true},
		{"no scopes grant nothing", nil, r, false},
		{"an unknown scope grants nothing", []viewer.Scope{"billing"}, r, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := &viewer.Viewer{ClientID: 1, TokenID: 2, Scopes: c.have}
			if got := v.Has(c.asked); got != c.want {
				t.Errorf("Has(%q) with %v = %v, want %v", c.asked, c.have, got, c.want)
			}
		})
	}
}

// Platform lets a viewer cross clients: only the system and a client-less
// admin token may, never a client's admin or a client-less reader.
func TestPlatform(t *testing.T) {
	for _, c := range []struct {
		name string
		v    *viewer.Viewer
		want bool
	}{
		{"nil viewer", nil, false},
		{"system", viewer.System(), true},
		{"client-less admin token", &viewer.Viewer{TokenID: 9, Scopes: []viewer.Scope{viewer.ScopeAdmin}}, true},
		{"client-less write token", &viewer.Viewer{TokenID: 9, Scopes: []viewer.Scope{viewer.ScopeWrite}}, false},
		{"client-less token without scopes", &viewer.Viewer{TokenID: 9}, false},
		{"a client's admin token", &viewer.Viewer{ClientID: 3, TokenID: 9, Scopes: []viewer.Scope{viewer.ScopeAdmin}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.v.Platform(); got != c.want {
				t.Errorf("Platform() = %v, want %v", got, c.want)
			}
		})
	}
}

// The system acts for no client with no token and holds every scope: the
// CLI and jobs must be able to read, write and manage tokens.
func TestSystem(t *testing.T) {
	s := viewer.System()
	if s.ClientID != 0 || s.TokenID != 0 {
		t.Errorf("System() = client %d token %d, want 0 and 0", s.ClientID, s.TokenID)
	}
	for _, sc := range []viewer.Scope{viewer.ScopeRead, viewer.ScopeWrite, viewer.ScopeAdmin} {
		if !s.Has(sc) {
			t.Errorf("System() lacks %q", sc)
		}
	}
}

// A context without a viewer must yield nil, and nil must be able to do
// nothing (no panic, no scope, no platform): that is the default-deny.
func TestFromContextWithoutViewer(t *testing.T) {
	v := viewer.FromContext(context.Background())
	if v != nil {
		t.Fatalf("FromContext(Background) = %+v, want nil", v)
	}
	if v.Has(viewer.ScopeRead) || v.Platform() {
		t.Error("a nil viewer holds a scope or is platform")
	}
	if v := viewer.FromContext(viewer.NewContext(context.Background(), nil)); v != nil {
		t.Errorf("FromContext after NewContext(nil) = %+v, want nil", v)
	}
}

// The viewer set on a request's context must reach every derived context
// (resolvers, ent queries), and the innermost one wins.
func TestContextRoundTrip(t *testing.T) {
	a := &viewer.Viewer{ClientID: 1, Scopes: []viewer.Scope{viewer.ScopeRead}}
	b := &viewer.Viewer{ClientID: 2, Scopes: []viewer.Scope{viewer.ScopeWrite}}
	ctx := viewer.NewContext(context.Background(), a)
	if got := viewer.FromContext(ctx); got != a {
		t.Errorf("FromContext = %p, want the viewer set (%p)", got, a)
	}
	derived, cancel := context.WithCancel(ctx)
	defer cancel()
	if got := viewer.FromContext(derived); got != a {
		t.Errorf("FromContext(derived) = %p, want %p", got, a)
	}
	if got := viewer.FromContext(viewer.NewContext(ctx, b)); got != b {
		t.Errorf("inner NewContext: got %p, want %p", got, b)
	}
	if !viewer.FromContext(viewer.SystemContext(ctx)).Platform() {
		t.Error("SystemContext's viewer is not platform")
	}
}
