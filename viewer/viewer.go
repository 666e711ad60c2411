// Package viewer carries who is acting through a request's context. Every
// ent privacy rule reads it; a context without a viewer may do nothing.
package viewer

import "context"

// Scope is a permission carried by an API token.
type Scope string

// The token scopes: read lets a token query, write lets it mutate its
// client's rows, admin lets it manage tokens (and, without a client, everything).
const (
	ScopeRead  Scope = "read"
	ScopeWrite Scope = "write"
	ScopeAdmin Scope = "admin"
)

// Viewer is the caller: a client's token, a platform admin token, or the
// system itself (the CLI, background jobs, demo seeding).
type Viewer struct {
	// ClientID scopes every row the viewer may see; zero for platform viewers.
	ClientID int
	// TokenID is the API token used, zero for the system.
	TokenID int
	// Scopes are the token's scopes.
	Scopes []Scope
	// system marks the process acting on its own behalf.
	system bool
}

// System is the viewer of the CLI, background jobs and demo seeding: an
// explicit choice to act across clients, never an implicit bypass.
func System() *Viewer {
	return &Viewer{system: true, Scopes: []Scope{ScopeRead, ScopeWrite, ScopeAdmin}}
}

// Platform reports whether the viewer may act across every client: the
// system, or an admin token that belongs to no client.
func (v *Viewer) Platform() bool {
	return v != nil && (v.system || (v.ClientID == 0 && v.Has(ScopeAdmin)))
}

// Has reports whether the viewer holds the scope. admin implies write and
// write implies read.
func (v *Viewer) Has(s Scope) bool {
	if v == nil {
		return false
	}
	for _, have := range v.Scopes {
		if have == s || have == ScopeAdmin || (have == ScopeWrite && s == ScopeRead) {
			return true
		}
	}
	return false
}

type ctxKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the viewer in ctx, or nil.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(ctxKey{}).(*Viewer)
	return v
}

// SystemContext is a shorthand for acting as the system.
func SystemContext(ctx context.Context) context.Context {
	return NewContext(ctx, System())
}
