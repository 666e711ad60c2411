// Package tenancy owns clients and their API tokens: creating them, turning a
// bearer token into a viewer, and the client settings that scope the rest of
// the domain (status sets).
package tenancy

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/leasegraph/leasegraph/apperr"
	"github.com/leasegraph/leasegraph/ent"
	"github.com/leasegraph/leasegraph/ent/apitoken"
	"github.com/leasegraph/leasegraph/ent/company"
	"github.com/leasegraph/leasegraph/viewer"
)

// tokenPrefix marks leasegraph tokens so secret scanners can recognise them.
const tokenPrefix = "lg_"

// visibleLen is how many characters of a token are stored in clear to name
// it in lists and revocations: the marker plus 8 random characters.
const visibleLen = len(tokenPrefix) + 8

var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a fresh token: 160 random bits, base32, lower-case.
func NewSecret() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return tokenPrefix + strings.ToLower(encoding.EncodeToString(b))
}

// Hash is what is stored of a token. The secret has 160 bits of entropy, so a
// fast unsalted hash cannot be brute-forced and lets lookups use an index.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ParseScopes checks scope names from the command line or GraphQL.
func ParseScopes(names []string) ([]viewer.Scope, error) {
	if len(names) == 0 {
		return []viewer.Scope{viewer.ScopeRead}, nil
	}
	var out []viewer.Scope
	for _, n := range names {
		s := viewer.Scope(strings.ToLower(strings.TrimSpace(n)))
		switch s {
		case viewer.ScopeRead, viewer.ScopeWrite, viewer.ScopeAdmin:
		default:
			return nil, apperr.BadInput("scopes", "unknown scope %q: use read, write or admin", n)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// NewToken describes a token to create.
type NewToken struct {
	// ClientID is the client the token acts for; zero makes a platform admin
	// token, which only a platform viewer may create.
	ClientID int
	Name     string
	Scopes   []viewer.Scope
	// Secret is set only for a token whose value must be known in advance
	// (LEASEGRAPH_DEMO_TOKEN); otherwise a random one is made.
	Secret string
}

// CreateToken stores a new token and returns it with its secret, which is
// never stored and cannot be shown again. Only a viewer with the admin scope
// may create tokens; privacy decides for which client.
func (s *Service) CreateToken(ctx context.Context, nt NewToken) (*ent.APIToken, string, error) {
	if err := canManageTokens(ctx); err != nil {
		return nil, "", err
	}
	type created struct {
		token  *ent.APIToken
		secret string
	}
	c, err := ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (created, error) {
		t, secret, err := createToken(ctx, db, nt)
		return created{t, secret}, err
	})
	return c.token, c.secret, err
}

func createToken(ctx context.Context, db *ent.Client, nt NewToken) (*ent.APIToken, string, error) {
	if nt.ClientID == 0 && !viewer.FromContext(ctx).Platform() {
		nt.ClientID = viewer.FromContext(ctx).ClientID
	}
	if nt.ClientID != 0 {
		if _, err := db.Company.Get(ctx, nt.ClientID); err != nil {
			if ent.IsNotFound(err) {
				return nil, "", apperr.NotFound("client")
			}
			return nil, "", err
		}
	} else if !slices.Contains(nt.Scopes, viewer.ScopeAdmin) {
		return nil, "", apperr.BadInput("clientId", "a token without a client is a platform admin token and needs the admin scope")
	}
	if len(nt.Scopes) == 0 {
		nt.Scopes = []viewer.Scope{viewer.ScopeRead}
	}
	scopes := make([]string, len(nt.Scopes))
	for i, s := range nt.Scopes {
		scopes[i] = string(s)
	}
	secret := nt.Secret
	if secret == "" {
		secret = NewSecret()
	} else if len(secret) < 16 {
		return nil, "", apperr.BadInput("token", "a fixed token needs at least 16 characters")
	}
	c := db.APIToken.Create().
		SetName(nt.Name).
		SetPrefix(secret[:min(visibleLen, len(secret)-8)]).
		SetHash(Hash(secret)).
		SetScopes(scopes)
	if nt.ClientID != 0 {
		c.SetClientID(nt.ClientID)
	}
	t, err := c.Save(ctx)
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// canManageTokens refuses token management to tokens without the admin
// scope: a write token must not mint tokens or revoke its client's admin
// tokens. It is checked before anything is looked up, so the answer never
// depends on whose rows are named.
func canManageTokens(ctx context.Context) error {
	v := viewer.FromContext(ctx)
	if v == nil {
		return apperr.Unauthenticated("no API token")
	}
	if !v.Has(viewer.ScopeAdmin) {
		return apperr.Forbidden("managing API tokens needs the admin scope")
	}
	return nil
}

// lastUsedWait is the longest a request waits to record its token's
// last use.
const lastUsedWait = 50 * time.Millisecond

// Authenticate turns a bearer token into its viewer. Unknown and revoked
// tokens get the same answer. A known token is cached for CacheTTL: a
// revocation through this Service ends it at once, one made elsewhere (the
// CLI, another instance) within CacheTTL.
func (s *Service) Authenticate(ctx context.Context, secret string) (*viewer.Viewer, error) {
	hash := Hash(secret)
	c := s.cache()
	useCache := c != nil && cacheable(ctx)
	var gen uint64
	if useCache {
		if t, ok := c.tokens.Get(hash); ok {
			return viewerOf(t), nil
		}
		gen = c.generation()
	}
	db := ent.Current(ctx, s.DB)
	sys := viewer.SystemContext(ctx)
	t, err := db.APIToken.Query().Where(apitoken.Hash(hash), apitoken.RevokedAtIsNil()).Only(sys)
	if ent.IsNotFound(err) {
		// Not cached: a token created a moment ago must work at once.
		return nil, apperr.Unauthenticated("the API token is unknown or revoked")
	}
	if err != nil {
		return nil, err
	}
	if useCache {
		c.addToken(gen, hash, t)
	}
	// last_used_at is advisory: write it at most once a minute so reads do not
	// turn into writes, and never wait long for it. On SQLite a long write
	// (an import, a first sync) holds the one writer: the request then goes
	// on without it, and a later one writes it.
	now := time.Now().UTC()
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		wctx, cancel := context.WithTimeout(sys, lastUsedWait)
		_ = db.APIToken.UpdateOneID(t.ID).SetLastUsedAt(now).Exec(wctx)
		cancel()
	}
	return viewerOf(t), nil
}

// RevokeToken revokes a token by id, or by its visible prefix when id is 0.
// It needs the admin scope. A token of another client is "not found".
func (s *Service) RevokeToken(ctx context.Context, id int, prefix string) (*ent.APIToken, error) {
	if err := canManageTokens(ctx); err != nil {
		return nil, err
	}
	return ent.WithTx(ctx, s.DB, func(ctx context.Context, db *ent.Client) (*ent.APIToken, error) {
		q := db.APIToken.Query()
		if id != 0 {
			q.Where(apitoken.ID(id))
		} else {
			q.Where(apitoken.Prefix(prefix))
		}
		t, err := q.Only(ctx)
		if ent.IsNotFound(err) {
			return nil, apperr.NotFound("API token")
		}
		if err != nil {
			return nil, err
		}
		if t.RevokedAt != nil {
			return t, nil
		}
		t, err = db.APIToken.UpdateOne(t).SetRevokedAt(time.Now().UTC()).Save(ctx)
		if err == nil {
			// Only a revocation that happened drops the token: a refused
			// call must not empty other clients' cache.
			s.forgetToken(ctx, t.Hash)
		}
		return t, err
	})
}

// ListTokens lists a client's tokens, newest first; clientID 0 means the
// viewer's own client.
func (s *Service) ListTokens(ctx context.Context, clientID int) ([]*ent.APIToken, error) {
	db := ent.Current(ctx, s.DB)
	v := viewer.FromContext(ctx)
	if v == nil {
		return nil, apperr.Unauthenticated("no API token")
	}
	if clientID == 0 {
		clientID = v.ClientID
	}
	if !v.Platform() && clientID != v.ClientID {
		return nil, apperr.NotFound("client")
	}
	if clientID != 0 && v.Platform() {
		// A platform viewer naming a client that does not exist learns so,
		// rather than reading an empty list.
		if ok, err := db.Company.Query().Where(company.ID(clientID)).Exist(ctx); err != nil {
			return nil, err
		} else if !ok {
			return nil, apperr.NotFound("client")
		}
	}
	q := db.APIToken.Query().Order(ent.Desc(apitoken.FieldID))
	if clientID != 0 {
		q.Where(apitoken.ClientID(clientID))
	} else {
		q.Where(apitoken.ClientIDIsNil())
	}
	return q.All(ctx)
}
